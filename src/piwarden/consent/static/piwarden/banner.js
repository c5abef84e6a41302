/* piwarden cookie banner: <script src="https://PIWARDEN/static/piwarden/banner.js" defer></script>
 * Non-essential scripts wait as <script type="text/plain" data-category="analytics">.
 * Nothing is stored and nothing is recorded until the visitor chooses; no box is pre-ticked.
 * API: piwarden.open(), piwarden.allowed(category), piwarden.clearNonEssential(). */
(function () {
  "use strict";
  var me = document.currentScript;
  var api = me.getAttribute("data-api") || new URL(me.src, location.href).origin + "/api/v1/consent";
  var lang = (me.getAttribute("data-lang") || document.documentElement.lang || "en").toLowerCase().indexOf("zh") === 0 ? "zh-hans" : "en";
  var NAME = "pw_consent", AGE = 15552000;
  var gpc = navigator.globalPrivacyControl === true;
  var T = {
    en: {title: "Cookies and similar technologies", intro: "We use strictly necessary cookies to run this site. With your permission we would also use the optional ones below. Nothing optional is stored until you choose, and you can change your mind at any time under \u201cManage cookies\u201d.",
      accept: "Accept all", reject: "Reject all", custom: "Customize", save: "Save my choices", always: "Always on",
      separate: "Needs your separate consent: \u201cAccept all\u201d does not include it.", gpc: "Refused: your browser sends a Global Privacy Control signal.",
      items: "What is stored", error: "Your choice could not be saved. Please try again."},
    "zh-hans": {title: "Cookie及同类技术", intro: "我们使用必要的Cookie来运行本网站。经您许可，我们还会使用下列可选的Cookie。在您作出选择之前不会存储任何可选内容，您可以随时在\u201c管理Cookie\u201d中更改选择。",
      accept: "全部接受", reject: "全部拒绝", custom: "自定义", save: "保存我的选择", always: "始终开启",
      separate: "需要您的单独同意：\u201c全部接受\u201d不包括此项。", gpc: "已拒绝：您的浏览器发送了全球隐私控制（GPC）信号。",
      items: "存储的内容", error: "无法保存您的选择，请重试。"}
  }[lang];
  var config = null, root = null, state = read();

  function read() {
    var m = document.cookie.match(/(?:^|;\s*)pw_consent=([^;]*)/);
    if (!m) return null;
    try { return JSON.parse(decodeURIComponent(m[1])); } catch (e) { return null; }
  }
  function current() {
    return state && config && state.p === config.policy_version && state.i === config.inventory;
  }
  function allowed(category) {
    if (category === "necessary") return true;
    if (!current()) return false;
    if (category === "advertising" && gpc) return false;
    return !!state.c[category];
  }
  function activate() {
    var waiting = document.querySelectorAll('script[type="text/plain"][data-category]');
    for (var i = 0; i < waiting.length; i++) {
      var old = waiting[i];
      if (!allowed(old.getAttribute("data-category"))) continue;
      var s = document.createElement("script");
      for (var j = 0; j < old.attributes.length; j++) {
        var a = old.attributes[j];
        if (a.name !== "type") s.setAttribute(a.name, a.value);
      }
      if (old.nonce) s.nonce = old.nonce; /* the page's CSP nonce, hidden from getAttribute */
      s.text = old.text;
      old.parentNode.replaceChild(s, old);
    }
    document.dispatchEvent(new CustomEvent("piwarden:consent", {detail: state ? state.c : {}}));
  }
  function clear(category) {
    config.categories.forEach(function (c) {
      if (c.required || (category && c.key !== category)) return;
      c.items.forEach(function (item) {
        if (item.kind === "cookie") {
          var host = location.hostname.split(".");
          for (var k = 0; k <= host.length; k++) {
            var domain = k < host.length ? "; domain=" + host.slice(k).join(".") : "";
            document.cookie = item.name + "=; Max-Age=0; path=/" + domain;
          }
        } else {
          try { (item.kind === "local_storage" ? localStorage : sessionStorage).removeItem(item.name); } catch (e) { /* storage blocked */ }
        }
      });
    });
  }
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = "";
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1) + ([3, 5, 7, 9].indexOf(i) >= 0 ? "-" : "");
    return h;
  }
  function save(action, choices) {
    var visitor = (state && state.v) || uuid();
    var body = {visitor_id: visitor, policy_version: config.policy_version, inventory: config.inventory,
      action: action, choices: choices, gpc: gpc, lang: lang};
    var token = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]*)/);
    return fetch(api + "/banner/choices", {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token[1] : ""},
      body: JSON.stringify(body)})
      .then(function (r) {
        if (r.status === 409) { return load().then(show); }
        if (r.status !== 201) throw new Error(r.status);
        return r.json().then(function (out) {
          var c = {};
          config.categories.forEach(function (cat) { if (!cat.required) c[cat.key] = out.granted.indexOf(cat.purpose) >= 0; });
          var before = state && state.c;
          state = {p: config.policy_version, i: config.inventory, v: visitor, c: c};
          document.cookie = NAME + "=" + encodeURIComponent(JSON.stringify(state)) + "; Max-Age=" + AGE +
            "; path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
          Object.keys(c).forEach(function (k) { if (!c[k] && (!before || before[k] !== false)) clear(k); });
          hide();
          activate();
        });
      })
      .catch(function () { var e = root && root.querySelector(".pw-error"); if (e) e.textContent = T.error; });
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function hide() { if (root) { root.remove(); root = null; } }
  function show(customize) {
    hide();
    root = el("section", {"class": "pw-banner", role: "dialog", "aria-labelledby": "pw-title", lang: lang === "en" ? "en" : "zh-Hans"});
    root.appendChild(el("h2", {id: "pw-title"}, T.title));
    root.appendChild(el("p", {}, T.intro));
    var form = el("form", {"class": "pw-custom"});
    form.hidden = !customize;
    config.categories.forEach(function (c) {
      var box = el("input", {type: "checkbox", id: "pw-" + c.key, name: c.key});
      var row = el("div", {"class": "pw-cat"}), label = el("label", {"for": "pw-" + c.key});
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + c.description));
      row.appendChild(label);
      if (c.required) { box.checked = true; box.disabled = true; row.appendChild(el("small", {}, " " + T.always)); }
      else if (c.key === "advertising" && gpc) { box.disabled = true; row.appendChild(el("small", {}, " " + T.gpc)); }
      else { box.checked = !!(current() && state.c[c.key]); if (c.separate) row.appendChild(el("small", {}, " " + T.separate)); }
      var details = el("details"), list = el("ul");
      details.appendChild(el("summary", {}, T.items));
      c.items.forEach(function (i) { list.appendChild(el("li", {}, i.name + " (" + i.kind_label + ", " + i.set_by + ", " + i.lifetime_label + "): " + i.description)); });
      details.appendChild(list);
      row.appendChild(details);
      form.appendChild(row);
    });
    var saveButton = el("button", {type: "submit", "class": "pw-button"}, T.save);
    form.appendChild(saveButton);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var c = {};
      config.categories.forEach(function (cat) { if (!cat.required) c[cat.key] = form.elements[cat.key].checked; });
      save("custom", c);
    });
    var buttons = el("div", {"class": "pw-buttons"});
    [["accept", function () { save("accept_all", {}); }], ["reject", function () { save("reject_all", {}); }],
     ["custom", function () { form.hidden = false; form.querySelector("input:not([disabled])").focus(); }]]
      .forEach(function (b) {
        var button = el("button", {type: "button", "class": "pw-button", "data-action": b[0]}, T[b[0]]);
        button.addEventListener("click", b[1]);
        buttons.appendChild(button);
      });
    root.appendChild(buttons);
    root.appendChild(form);
    root.appendChild(el("p", {"class": "pw-error", role: "alert"}));
    var style = el("style", {}, ".pw-banner{position:fixed;z-index:2147483647;left:1rem;right:1rem;bottom:1rem;max-width:44rem;margin:auto;background:#fff;color:#1b1f23;border:1px solid #8c959f;border-radius:8px;padding:1rem 1.25rem;box-shadow:0 4px 24px rgba(0,0,0,.2);font:15px/1.5 system-ui,sans-serif;max-height:80vh;overflow:auto}" +
      ".pw-banner h2{font-size:1.1rem;margin:0 0 .5rem}.pw-buttons{display:flex;gap:.5rem;flex-wrap:wrap}.pw-button{flex:1;min-width:8rem;font:inherit;padding:.5rem 1rem;border:2px solid #1f6feb;border-radius:6px;background:#fff;color:#1f6feb;cursor:pointer}" +
      ".pw-button:focus-visible,.pw-banner input:focus-visible{outline:3px solid #0969da;outline-offset:2px}.pw-cat{margin:.5rem 0}.pw-cat small{color:#57606a}.pw-error{color:#cf222e;margin:.25rem 0 0}");
    if (me.nonce) style.nonce = me.nonce; /* a page with a CSP nonce gives it to this script */
    root.appendChild(style);
    document.body.appendChild(root);
    root.querySelector(".pw-button").focus();
  }
  function load() {
    return fetch(api + "/banner/config?lang=" + lang, {credentials: "omit"})
      .then(function (r) { return r.json(); })
      .then(function (c) { config = c; });
  }
  window.piwarden = {
    open: function () { return (config ? Promise.resolve() : load()).then(function () { show(true); }); },
    allowed: allowed,
    clearNonEssential: function () {
      /* "Withdraw and clear": back to strictly necessary, recorded as a withdrawal. */
      return (config ? Promise.resolve() : load()).then(function () {
        clear(null);
        return save("withdraw_all", {});
      });
    }
  };
  load().then(function () {
    if (current()) activate(); else show(false);
  });
}());
/* piwarden.locate(): the browser's geolocation API is called only after the signed-in person
 * gave separate consent to location-based services (precise location is sensitive PI). */
(function () {
  "use strict";
  var me = document.currentScript;
  var api = me.getAttribute("data-api") || new URL(me.src, location.href).origin + "/api/v1/consent";
  var lang = (document.documentElement.lang || "en").toLowerCase().indexOf("zh") === 0 ? "zh-hans" : "en";
  var PURPOSE = "location.service", SCOPE = "separate.sensitive";
  var T = lang === "en" ? {allow: "I agree to this separate consent", no: "Not now", title: "Use your precise location?"}
    : {allow: "我同意此项单独同意", no: "暂不", title: "使用您的精确位置？"};
  function csrf() { var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]*)/); return m ? m[1] : ""; }
  function ask(row) {
    return new Promise(function (resolve) {
      var box = document.createElement("section");
      box.className = "pw-banner";
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-label", T.title);
      var h = document.createElement("h2");
      h.textContent = T.title;
      box.appendChild(h);
      /* the separate consent's own notice: what, why, for how long, the effect of refusing */
      row.notice.split("\n").forEach(function (line) {
        var p = document.createElement("p");
        p.textContent = line;
        box.appendChild(p);
      });
      [["allow", true], ["no", false]].forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button"; button.className = "pw-button"; button.textContent = T[b[0]];
        button.addEventListener("click", function () { box.remove(); resolve(b[1]); });
        box.appendChild(button);
      });
      document.body.appendChild(box);
      box.querySelector("button").focus();
    });
  }
  function grant(row) {
    return fetch(api + "/me/purposes", {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify({purpose: PURPOSE, scope: SCOPE, choice: "grant", lang: lang,
                            notice_digest: row.notice_digest})})
      .then(function (r) { if (r.status !== 201) throw new Error("consent not recorded"); });
  }
  window.piwarden = window.piwarden || {};
  window.piwarden.locate = function (options) {
    return fetch(api + "/me/purposes?lang=" + lang, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error("sign in first"); return r.json(); })
      .then(function (rows) {
        var row = rows.filter(function (x) { return x.purpose === PURPOSE && x.scope === SCOPE; })[0];
        if (!row) throw new Error("location is not offered");
        if (row.state === "granted") return true;
        return ask(row).then(function (yes) { return yes ? grant(row).then(function () { return true; }) : false; });
      })
      .then(function (allowed) {
        if (!allowed) throw new Error("no consent to use location");
        return new Promise(function (resolve, reject) { navigator.geolocation.getCurrentPosition(resolve, reject, options); });
      });
  };
}());
