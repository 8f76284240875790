// kiln's live regions.  The pages work without this script; with it, an element with data-live="URL"
// is fetched again every few seconds and replaced while its data-done is not "1": one request at a time
// per region, none while the tab is hidden.  The server renders (and escapes) the HTML it sends.
(function () {
  "use strict";
  var EVERY = 3000;
  function follow(region) {
    function poll() {
      if (region.getAttribute("data-done") === "1") { return; }
      if (document.hidden) { setTimeout(poll, EVERY); return; }
      fetch(region.getAttribute("data-live"), { credentials: "same-origin" })
        .then(function (reply) { if (!reply.ok) { throw new Error(reply.status); } return reply.text(); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("[data-live]");
          if (!fresh) { return; }
          region.innerHTML = fresh.innerHTML;
          region.setAttribute("data-done", fresh.getAttribute("data-done") || "0");
          var tails = region.querySelectorAll("pre.tail");
          for (var i = 0; i < tails.length; i++) { tails[i].scrollTop = tails[i].scrollHeight; }
        })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { setTimeout(poll, EVERY); });
    }
    setTimeout(poll, EVERY);
  }
  var regions = document.querySelectorAll("[data-live]");
  for (var i = 0; i < regions.length; i++) { follow(regions[i]); }
})();
