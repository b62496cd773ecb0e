// Live updates of the mail pages (progressive enhancement: without it, pages still work).
// The server says which folders changed; a folder page fetches itself again and swaps
// its list, a conversation page offers to reload (a reply being typed is never lost).
(function () {
  "use strict";
  var body = document.body;
  var folder = body.getAttribute("data-folder");
  if (!body.hasAttribute("data-live") || !window.EventSource) { return; }
  var status = document.getElementById("live-status");

  function announce(text) {
    if (status) { status.textContent = text; }
  }

  function refreshListing() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["#listing", "#folders"].forEach(function (sel) {
          var fresh = doc.querySelector(sel), old = document.querySelector(sel);
          if (fresh && old) { old.replaceWith(fresh); }
        });
      })
      .catch(function () { /* the next change or a reload will do */ });
  }

  var source = new EventSource("/events");
  source.addEventListener("change", function (e) {
    var data = JSON.parse(e.data);
    var mine = !folder || data.reload || data.folders.indexOf(folder) >= 0;
    if (folder) {
      refreshListing();
      if (mine && data.added > 0) { announce(body.getAttribute("data-new-text")); }
    } else if (mine) {
      announce(body.getAttribute("data-changed-text"));
    }
  });
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) { announce(""); }
  };
})();
