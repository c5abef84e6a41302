/* Demo stand-in for an advertising partner's tag: runs only with separate consent. */
(function () {
  document.cookie = "adp_uid=" + crypto.getRandomValues(new Uint32Array(2)).join("") + "; Max-Age=7776000; path=/; SameSite=Lax";
  localStorage.setItem("adp_profile", JSON.stringify({interests: ["demo"]}));
  window.pwDemoAdsRan = true;
  var status = document.getElementById("demo-ads");
  if (status) status.textContent = status.dataset.on || "on";
}());
