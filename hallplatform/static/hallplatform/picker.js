/* Searchable pickers (staff UI issue item 6). Progressive enhancement: without this script every
   form works as before; with it, long lists get a filter box. Nothing here changes what a form
   posts: the same checkboxes, the same <select> options, the same textarea.

   - table[data-picker=table]: rows tr[data-picker-item] (the transfer form's departments).
   - select[data-picker=multiple]: shown as a filterable list of checkboxes that set its options.
   - select[data-picker=single]: a filter box above it hides the options that do not match.
   - textarea[data-case-picker-url]: find a case by NO or matter (JSON), add its NO as a line.

   A name matches the typed text when the text is part of the name, part of its pinyin keys
   (data-keys: "<initials> <full pinyin>", computed on the server), or, from three letters, its
   letters in order within the initials ("rsj" finds 人力资源和社会保障局). CSP: no inline script or
   style; visibility is switched with the class picker-hidden and the hidden property. */
(function () {
  "use strict";

  function norm(text) {
    return (text || "").toLowerCase().replace(/\s+/g, "");
  }

  function inOrder(query, initials) {
    var at = 0;
    for (var i = 0; i < initials.length && at < query.length; i += 1) {
      if (initials.charAt(i) === query.charAt(at)) at += 1;
    }
    return at === query.length;
  }

  function matches(query, name, keys) {
    if (!query) return true;
    if (norm(name).indexOf(query) !== -1) return true;
    var parts = (keys || "").split(" ");
    for (var i = 0; i < parts.length; i += 1) {
      if (parts[i] && parts[i].indexOf(query) !== -1) return true;
    }
    return query.length >= 3 && /^[a-z0-9]+$/.test(query) && inOrder(query, parts[0] || "");
  }

  var counter = 0;

  function filterBox(host, before) {
    counter += 1;
    var wrap = document.createElement("div");
    wrap.className = "picker-filter";
    var label = document.createElement("label");
    var id = "picker-filter-" + counter;
    label.setAttribute("for", id);
    label.textContent = host.getAttribute("data-picker-label") || "Find";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    input.setAttribute("data-picker-filter", "");
    var count = document.createElement("span");
    count.className = "picker-count";
    count.setAttribute("aria-live", "polite");
    wrap.appendChild(label);
    wrap.appendChild(input);
    wrap.appendChild(count);
    before.parentNode.insertBefore(wrap, before);
    // Enter in the filter box must not submit the form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    return { input: input, count: count };
  }

  function showCount(box, host, shown, total) {
    var words = host.getAttribute("data-picker-shown") || "{shown} of {total}";
    box.count.textContent = box.input.value ? words.replace("{shown}", shown).replace("{total}", total) : "";
  }

  function tablePicker(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-picker-item]"));
    var box = filterBox(table, table);
    box.input.addEventListener("input", function () {
      var query = norm(box.input.value);
      var shown = 0;
      rows.forEach(function (row) {
        var box2 = row.querySelector("input[type=checkbox]");
        var name = (row.querySelector("label") || row).textContent;
        var keep = matches(query, name, row.getAttribute("data-keys")) || (box2 && box2.checked);
        row.classList.toggle("picker-hidden", !keep);
        if (keep) shown += 1;
      });
      showCount(box, table, shown, rows.length);
    });
  }

  function multiplePicker(select) {
    var box = filterBox(select, select);
    var list = document.createElement("div");
    list.className = "picker-list";
    list.setAttribute("role", "group");
    var labelled = document.querySelector("label[for='" + select.id + "']");
    if (labelled) {
      labelled.id = labelled.id || select.id + "-label";
      list.setAttribute("aria-labelledby", labelled.id);
    }
    var items = [];
    var groups = [];
    function addOption(option, parent) {
      if (!option.value) return;
      var label = document.createElement("label");
      label.className = "inline picker-option";
      var check = document.createElement("input");
      check.type = "checkbox";
      check.checked = option.selected;
      check.addEventListener("change", function () {
        option.selected = check.checked;
      });
      label.appendChild(check);
      label.appendChild(document.createTextNode(" " + option.textContent));
      parent.appendChild(label);
      items.push({ label: label, check: check, name: option.textContent, keys: option.getAttribute("data-keys") });
    }
    Array.prototype.forEach.call(select.children, function (child) {
      if (child.tagName === "OPTGROUP") {
        var group = document.createElement("fieldset");
        group.className = "picker-group";
        var legend = document.createElement("legend");
        legend.textContent = child.label;
        group.appendChild(legend);
        var first = items.length;
        Array.prototype.forEach.call(child.children, function (option) {
          addOption(option, group);
        });
        groups.push({ node: group, items: items.slice(first) });
        list.appendChild(group);
      } else {
        addOption(child, list);
      }
    });
    select.parentNode.insertBefore(list, select);
    select.classList.add("picker-hidden");
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    box.input.addEventListener("input", function () {
      var query = norm(box.input.value);
      var shown = 0;
      items.forEach(function (item) {
        item.keep = matches(query, item.name, item.keys) || item.check.checked;
        item.label.classList.toggle("picker-hidden", !item.keep);
        if (item.keep) shown += 1;
      });
      groups.forEach(function (group) {
        var any = group.items.some(function (item) {
          return item.keep;
        });
        group.node.classList.toggle("picker-hidden", !any);
      });
      showCount(box, select, shown, items.length);
    });
  }

  function singlePicker(select) {
    var box = filterBox(select, select);
    var options = Array.prototype.slice.call(select.querySelectorAll("option")).filter(function (option) {
      return option.value;
    });
    box.input.addEventListener("input", function () {
      var query = norm(box.input.value);
      var shown = 0;
      var first = null;
      options.forEach(function (option) {
        var keep = matches(query, option.textContent, option.getAttribute("data-keys")) || option.selected;
        option.hidden = !keep;
        if (keep) {
          shown += 1;
          if (!first && !option.selected) first = option;
        }
      });
      // one department left: choose it, as a person who typed its name means it
      if (query && shown === 1 && first && !select.value) first.selected = true;
      showCount(box, select, shown, options.length);
    });
  }

  function casePicker(textarea) {
    var url = textarea.getAttribute("data-case-picker-url");
    var box = filterBox(textarea, textarea);
    var results = document.createElement("ul");
    results.className = "case-picker-results";
    results.setAttribute("aria-label", textarea.getAttribute("data-picker-label") || "");
    textarea.parentNode.insertBefore(results, textarea);
    var timer = null;
    var asked = "";
    function addLine(number) {
      var lines = textarea.value.split("\n").map(function (line) {
        return line.split("|")[0].trim();
      });
      if (lines.indexOf(number) !== -1) return;
      textarea.value = (textarea.value.replace(/\s+$/, "") ? textarea.value.replace(/\s+$/, "") + "\n" : "") + number;
    }
    function show(cases) {
      results.textContent = "";
      cases.forEach(function (found) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.setAttribute("data-case-number", found.number);
        var number = document.createElement("strong");
        number.textContent = found.number;
        var matter = document.createElement("span");
        matter.className = "matter";
        matter.textContent = found.matter + (found.hall ? " · " + found.hall : "");
        button.appendChild(number);
        button.appendChild(matter);
        button.addEventListener("click", function () {
          addLine(found.number);
          textarea.focus();
        });
        item.appendChild(button);
        results.appendChild(item);
      });
      showCount(box, textarea, cases.length, cases.length);
    }
    function ask() {
      var query = box.input.value.trim();
      if (query === asked) return;
      asked = query;
      if (query.length < 2) {
        show([]);
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { cases: [] };
        })
        .then(function (data) {
          if (box.input.value.trim() === query) show(data.cases || []);
        })
        .catch(function () {
          show([]);
        });
    }
    box.input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 250);
    });
  }

  function init() {
    document.querySelectorAll("table[data-picker=table]").forEach(tablePicker);
    document.querySelectorAll("select[data-picker=multiple]").forEach(multiplePicker);
    document.querySelectorAll("select[data-picker=single]").forEach(singlePicker);
    document.querySelectorAll("textarea[data-case-picker-url]").forEach(casePicker);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
