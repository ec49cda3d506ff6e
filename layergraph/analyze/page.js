// analyzeNetwork page: click a node or a row to select the layer in both; the search box filters by name or type.
// Spec text is only ever read from the JSON block and written with textContent, never parsed as markup.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lg-data").textContent);
  var rows = document.querySelectorAll("#layers tbody tr");
  var nodes = document.querySelectorAll("#lg-graph .node");
  var rowOf = {}, nodeOf = {};
  rows.forEach(function (r) { rowOf[r.dataset.i] = r; });
  nodes.forEach(function (n) { nodeOf[n.dataset.i] = n; });
  var current = null;

  function select(i, from) {
    i = String(i);
    if (current !== null) {
      if (rowOf[current]) { rowOf[current].classList.remove("selected"); rowOf[current].setAttribute("aria-selected", "false"); }
      if (nodeOf[current]) { nodeOf[current].classList.remove("selected"); }
    }
    current = i;
    var row = rowOf[i], node = nodeOf[i];
    if (row) {
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
      if (from !== "row") { row.scrollIntoView({block: "center", inline: "nearest"}); }
    }
    if (node) {
      node.classList.add("selected");
      if (from !== "node") { node.scrollIntoView({block: "center", inline: "center"}); }
    }
    document.getElementById("selected").textContent = data.layers[Number(i)].name;
  }

  function activate(el, from) {
    el.addEventListener("click", function () { select(el.dataset.i, from); });
    el.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(el.dataset.i, from); }
    });
  }
  rows.forEach(function (r) { activate(r, "row"); });
  nodes.forEach(function (n) { activate(n, "node"); });
  document.querySelectorAll("#issues li[data-i]").forEach(function (li) { activate(li, "issue"); });

  var search = document.getElementById("search");
  function filter() {
    var q = search.value.trim().toLowerCase(), shown = 0;
    data.layers.forEach(function (layer, i) {
      var hit = q === "" || layer.name.toLowerCase().indexOf(q) >= 0 || layer.type.toLowerCase().indexOf(q) >= 0;
      if (rowOf[i]) { rowOf[i].classList.toggle("hidden", !hit); }
      if (nodeOf[i]) { nodeOf[i].classList.toggle("dim", !hit); }
      if (hit) { shown += 1; }
    });
    document.getElementById("shown").textContent = q === "" ? "" : shown + " of " + data.layers.length + " shown";
  }
  search.addEventListener("input", filter);
  filter();
}());
