
  // The script-tag embed: `window.GiosgVisitor` with `ready` and `Visitor`. The .wasm file is
  // found next to this script.
  var script = document.currentScript;
  var wasmUrl = new URL("giosg-visitor_bg.wasm", script && script.src ? script.src : location.href);
  var api = { Visitor: wasm_bindgen.Visitor, ready: null };
  api.ready = wasm_bindgen({ module_or_path: wasmUrl }).then(function () { return undefined; });
  window.GiosgVisitor = api;
})();
