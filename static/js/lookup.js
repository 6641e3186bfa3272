/* Search-as-you-type choices of records (wenshang/lookup.py, wenshang/forms.py LookupSelect).

   <select data-lookup-url="/lookup/grids.household/" data-lookup-none="…" data-lookup-remove="…">
   holds only the chosen record(s). This script hides it and shows a text input (an ARIA 1.2
   combobox) with a list of suggestions fetched from the URL (?q=…&page=…: {results: [{id, text}],
   more}). Keyboard: ↓/↑ move through the suggestions, Enter picks, Esc closes (a second Esc
   restores the chosen record's name), Tab leaves. A tap picks on a phone. Picking sets the select
   (the form posts the id, validated by the server as any choice); a multiple select shows its
   records as removable buttons. Text goes in with textContent only: names are user input.

   A list's filter form holds <input type="text" data-lookup-url="…" data-lookup-text="东石楼村（寅寺镇）"
   value="370830104201"> instead (wenshang/web/filters.py LookupTextInput): without JavaScript a box
   of the record's code. Here it becomes hidden and carries the id of the record picked; a code
   typed and not picked is sent as typed (the server finds the record by its code). */
(function () {
  "use strict";

  var DELAY = 200; // ms after the last keystroke before asking the server
  var counter = 0;

  function make(tag, className) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    return el;
  }

  function setup(select) {
    if (select.dataset.lookupReady) { return; }
    select.dataset.lookupReady = "1";
    counter += 1;
    var textual = select.tagName === "INPUT"; // a filter's box of a code, not a select
    var chosen = textual ? { value: select.value, text: select.dataset.lookupText || select.value } : null;
    var multiple = !textual && select.multiple;
    var baseId = (select.id || "lookup") + "_lookup";
    var listId = baseId + "_list" + counter;

    var wrapper = make("div", "lookup position-relative");
    var chips = multiple ? make("div", "lookup-chips d-flex flex-wrap gap-1 mb-1") : null;
    var input = make("input", (select.className || "").replace(/\bform-select\b/, "form-control"));
    input.type = "text";
    input.id = baseId;
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    var placeholder = select.dataset.lookupPlaceholder || select.getAttribute("placeholder");
    if (placeholder) { input.placeholder = placeholder; }
    if (select.getAttribute("aria-describedby")) { input.setAttribute("aria-describedby", select.getAttribute("aria-describedby")); }
    if (select.required) { input.setAttribute("aria-required", "true"); }
    if (select.classList.contains("is-invalid")) { input.setAttribute("aria-invalid", "true"); }
    var list = make("ul", "lookup-list list-group position-absolute w-100 shadow-sm");
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = make("div", "visually-hidden");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    // The label now names the input; the select stays in the form, hidden, and posts the value.
    if (select.id) {
      document.querySelectorAll('label[for="' + select.id + '"]').forEach(function (label) {
        label.htmlFor = input.id;
        if (!label.id) { label.id = baseId + "_label"; }
        list.setAttribute("aria-labelledby", label.id);
      });
    }
    if (textual) {
      select.type = "hidden";
    } else {
      select.hidden = true;
      select.tabIndex = -1;
    }
    select.parentNode.insertBefore(wrapper, select);
    if (chips) { wrapper.appendChild(chips); }
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(status);
    wrapper.appendChild(select);

    var items = [];   // the suggestions shown: [{id, text}]
    var active = -1;  // the highlighted suggestion
    var timer = null;
    var request = 0;  // answers to older keystrokes are dropped

    function chosenText() {
      if (textual) { return chosen.value ? chosen.text : ""; }
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.text : "";
    }

    function renderChips() {
      if (!chips) { return; }
      chips.textContent = "";
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value || !option.selected) { return; }
        var chip = make("button", "btn btn-sm btn-outline-secondary");
        chip.type = "button";
        chip.textContent = option.text + " ×";
        chip.setAttribute("aria-label", (select.dataset.lookupRemove || "Remove") + " " + option.text);
        chip.addEventListener("click", function () {
          option.remove();
          renderChips();
          select.dispatchEvent(new Event("change", { bubbles: true }));
          input.focus();
        });
        chips.appendChild(chip);
      });
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var nodes = list.querySelectorAll("[role=option]");
      if (!nodes.length) { return; }
      active = (index + nodes.length) % nodes.length;
      nodes.forEach(function (node, i) {
        var on = i === active;
        node.classList.toggle("active", on);
        node.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          input.setAttribute("aria-activedescendant", node.id);
          node.scrollIntoView({ block: "nearest" });
        }
      });
    }

    function show(results, more) {
      items = results;
      list.textContent = "";
      active = -1;
      if (!results.length) {
        var none = make("li", "list-group-item small text-body-secondary");
        none.textContent = select.dataset.lookupNone || "—";
        list.appendChild(none);
      }
      results.forEach(function (item, i) {
        var li = make("li", "list-group-item list-group-item-action");
        li.id = listId + "_" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = item.text;
        // mousedown, not click: picking must happen before the input loses focus
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      if (more) {
        var hint = make("li", "list-group-item small text-body-secondary");
        hint.textContent = select.dataset.lookupMore || "…";
        list.appendChild(hint);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = results.length ? String(results.length) : (select.dataset.lookupNone || "");
    }

    function fetchNow(q) {
      request += 1;
      var mine = request;
      var url = select.dataset.lookupUrl + "?q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [], more: false }; })
        .then(function (data) {
          if (mine === request && document.activeElement === input) { show(data.results || [], data.more); }
        })
        .catch(function () { /* offline: no suggestions */ });
    }

    function pick(index) {
      var item = items[index];
      if (!item) { return; }
      var value = String(item.id);
      if (textual) {
        chosen = { value: value, text: item.text };
        select.value = value;
        input.value = item.text;
        close();
        select.dispatchEvent(new Event("change", { bubbles: true }));
        return;
      }
      var existing = Array.prototype.find.call(select.options, function (o) { return o.value === value; });
      if (!multiple) {
        Array.prototype.slice.call(select.options).forEach(function (o) { if (o.value && o.value !== value) { o.remove(); } });
      }
      if (existing) {
        existing.selected = true;
      } else {
        select.appendChild(new Option(item.text, value, true, true));
      }
      input.value = multiple ? "" : item.text;
      close();
      renderChips();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function clearSingle() {
      if (multiple) { return; }
      if (textual) { chosen = { value: "", text: "" }; select.value = ""; return; }
      Array.prototype.slice.call(select.options).forEach(function (o) { if (o.value) { o.remove(); } });
      if (select.options.length) { select.options[0].selected = true; }
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { close(); if (!multiple) { clearSingle(); } return; }
      timer = window.setTimeout(function () { fetchNow(q); }, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          if (input.value.trim()) { fetchNow(input.value.trim()); }
          return;
        }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault(); // pick, do not submit the form
          pick(active);
        } else if (open) {
          event.preventDefault();
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (!multiple) {
          input.value = chosenText();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    function syncTyped() {
      // typed and not picked: the one suggestion of that very name, or the text itself (a code)
      var typed = input.value.trim();
      if (typed && typed !== chosenText()) {
        var same = items.filter(function (item) { return item.text === typed; });
        select.value = same.length === 1 ? String(same[0].id) : typed;
        chosen = { value: select.value, text: typed };
      }
    }
    if (textual && select.form) { select.form.addEventListener("submit", syncTyped); }

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
      if (textual) { syncTyped(); return; }
      if (!multiple && input.value.trim() && input.value !== chosenText()) {
        input.value = chosenText(); // typed but nothing picked: the choice stays as it was
      }
    });

    input.value = multiple ? "" : chosenText();
    renderChips();
  }

  function setupAll(root) {
    (root || document).querySelectorAll("select[data-lookup-url], input[data-lookup-url]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setupAll(); });
  } else {
    setupAll();
  }
  // Content swapped in by htmx
  document.addEventListener("htmx:afterSettle", function (event) { setupAll(event.target); });
})();
