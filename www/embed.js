// The embed page's own script: uses only window.GiosgVisitor, as a site without a build would.
(async function () {
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  try {
    await GiosgVisitor.ready;
    var visitor = new GiosgVisitor.Visitor({
      organizationId: params.get("org") || "e6a08f51-c250-4074-847b-58d444dbbeb1",
      apiBaseUrl: location.origin,
    });
    var session = await visitor.authenticate();
    $("visitor-id").textContent = session.visitorId;
    $("expires-at").textContent = session.expiresAt.toLocaleTimeString();
    $("status").dataset.state = "ok";
    $("status").textContent = "authenticated";
  } catch (error) {
    $("status").dataset.state = "error";
    $("status").textContent = (error.code || error.name) + ": " + error.message;
  }
})();
