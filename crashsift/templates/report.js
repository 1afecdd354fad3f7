"use strict";
(function () {
  var PAGE = 50;
  var reports = Array.prototype.slice.call(document.querySelectorAll("article.report"));
  var search = document.getElementById("search");
  var onlyFindings = document.getElementById("with-findings");
  var shown = document.getElementById("shown");
  var pageLabel = document.getElementById("page");
  var page = 0;
  var matching = reports;

  function filter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    matching = reports.filter(function (r) {
      var text = r.getAttribute("data-search");
      if (onlyFindings.checked && r.getAttribute("data-findings") === "0") { return false; }
      return words.every(function (w) { return text.indexOf(w) !== -1; });
    });
    page = 0;
    render();
  }

  function render() {
    var pages = Math.max(1, Math.ceil(matching.length / PAGE));
    page = Math.min(page, pages - 1);
    reports.forEach(function (r) { r.classList.add("hidden"); });
    matching.slice(page * PAGE, page * PAGE + PAGE).forEach(function (r) { r.classList.remove("hidden"); });
    shown.textContent = matching.length + " of " + reports.length + " reports";
    pageLabel.textContent = "page " + (page + 1) + " of " + pages;
  }

  function reveal() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.classList.contains("report")) {
      var index = matching.indexOf(target);
      if (index === -1) { search.value = ""; onlyFindings.checked = false; matching = reports; index = reports.indexOf(target); }
      page = Math.floor(index / PAGE);
      render();
      target.querySelector("details").open = true;
      target.scrollIntoView();
    }
  }

  search.addEventListener("input", filter);
  onlyFindings.addEventListener("change", filter);
  document.getElementById("prev").addEventListener("click", function () { if (page > 0) { page -= 1; render(); } });
  document.getElementById("next").addEventListener("click", function () { page += 1; render(); });
  window.addEventListener("hashchange", reveal);
  render();
  reveal();
})();
