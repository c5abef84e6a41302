/* Demo stand-in for an analytics tag: runs only once the visitor allowed "analytics". */
(function () {
  var id = (document.cookie.match(/(?:^|;\s*)pw_analytics_id=([^;]*)/) || [])[1] || crypto.getRandomValues(new Uint32Array(2)).join("");
  document.cookie = "pw_analytics_id=" + id + "; Max-Age=31536000; path=/; SameSite=Lax";
  var events = JSON.parse(localStorage.getItem("pw_analytics_events") || "[]");
  events.push({page: location.pathname, at: Date.now()});
  localStorage.setItem("pw_analytics_events", JSON.stringify(events.slice(-50)));
  window.pwDemoAnalyticsRan = true;
  var status = document.getElementById("demo-analytics");
  if (status) status.textContent = status.dataset.on || "on";
}());
