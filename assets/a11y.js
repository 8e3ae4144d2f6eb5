/* Accessibility repairs for Dash 4 core components (WCAG 2.1 AA, checked with axe-core).
   Dash renders RadioItems/Checklist as role="listbox" with role="option" labels that contain
   native inputs (nested interactive controls, no accessible name), slider thumbs without a name,
   and a focusable aria-hidden focus target in dcc.Dropdown. This script keeps the native inputs
   as the accessible controls: the list becomes a named radiogroup/group, the option roles go,
   thumbs and lists get the text of their legend or label. Re-applied whenever the DOM changes. */
(function () {
  "use strict";

  function text(el) {
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function nameFor(el) {
    var own = el.getAttribute("data-a11y-label");
    if (own) { return own; }
    var labelled = el.id && document.querySelector('label[for="' + el.id + '"]');
    if (labelled) { return text(labelled); }
    var holder = el.closest("[aria-label]");
    if (holder && holder !== el) { return holder.getAttribute("aria-label"); }
    var parent = el.parentElement;
    while (parent) {
      var prev = el.previousElementSibling;
      while (prev) {
        if (prev.classList && prev.classList.contains("sublabel")) { return text(prev); }
        prev = prev.previousElementSibling;
      }
      if (parent.tagName === "FIELDSET") { return text(parent.querySelector("legend")); }
      el = parent;
      parent = parent.parentElement;
    }
    return "";
  }

  function set(el, attr, value) {
    if (value && el.getAttribute(attr) !== value) { el.setAttribute(attr, value); }
  }

  function repair() {
    document.querySelectorAll(".dash-options-list[role='listbox']").forEach(function (list) {
      var radio = list.querySelector("input[type='radio']");
      list.setAttribute("role", radio ? "radiogroup" : "group");
    });
    document.querySelectorAll(".dash-options-list[role='radiogroup'], .dash-options-list[role='group']")
      .forEach(function (list) { set(list, "aria-label", nameFor(list)); });
    document.querySelectorAll(
      ".dash-options-list-option[role='option'], .dash-options-list-option[aria-selected]"
    ).forEach(function (opt) {
      opt.removeAttribute("role");
      opt.removeAttribute("aria-selected");
    });
    document.querySelectorAll("[role='slider']").forEach(function (thumb) {
      if (!thumb.getAttribute("aria-label")) {
        var box = thumb.closest(".dash-slider-container") || thumb;
        set(thumb, "aria-label", nameFor(box));
      }
    });
    document.querySelectorAll(".dash-slider-container input[type='number']").forEach(function (inp) {
      if (!inp.getAttribute("aria-label")) {
        set(inp, "aria-label", nameFor(inp.closest(".dash-slider-container")));
      }
    });
    document.querySelectorAll(".dash-dropdown-focus-target[aria-hidden='true']").forEach(function (t) {
      set(t, "tabindex", "-1");
    });
  }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; repair(); });
  }

  function start() {
    repair();
    new MutationObserver(schedule).observe(document.body, {
      childList: true, subtree: true, attributes: true,
      attributeFilter: ["role", "aria-hidden", "aria-selected"]
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
