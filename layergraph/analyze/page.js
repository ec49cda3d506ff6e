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
  var graphPane = document.getElementById("graph-pane"), tablePane = document.getElementById("table-pane");

  // scroll a pane (not the window) so that el is in its middle, when it is not already in view
  function reveal(el, pane) {
    var r = el.getBoundingClientRect(), p = pane.getBoundingClientRect();
    if (r.top < p.top || r.bottom > p.bottom) { pane.scrollTop += (r.top + r.bottom - p.top - p.bottom) / 2; }
    if (r.left < p.left || r.right > p.right) { pane.scrollLeft += (r.left + r.right - p.left - p.right) / 2; }
  }

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
      if (from !== "row") { reveal(row, tablePane); }
    }
    if (node) {
      node.classList.add("selected");
      if (from !== "node") { reveal(node, graphPane); }
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

  // page.html#cat opens with the layer 'cat' selected
  function fromHash() {
    var want;
    try { want = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
    data.layers.forEach(function (layer, i) { if (want !== "" && layer.name === want) { select(i, "link"); } });
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
}());
