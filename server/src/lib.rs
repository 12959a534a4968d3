//! A giosg-compatible local server: the auth endpoint and the documented visitor endpoints of
//! giosg's public API (see shared/reference), a control surface for tests, and static serving of
//! the demo (`www/`) and the built package (`pkg/`).
//!
//! Layout: `auth.rs` the auth endpoint, `api.rs` the Bearer endpoints, `control.rs` the control
//! surface, `faults.rs` what can be injected, `exchange.rs` how a request meets its fault and
//! the log, `state.rs` what is remembered, `realtime.rs` the socket API at `socket_url`.

// Handlers return `Result<_, Response>` so that `?` answers with an error: the size of
// `Response` does not matter on a test server.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod control;
pub mod exchange;
pub mod faults;
pub mod realtime;
pub mod state;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;
use tower_http::cors::{self, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

pub use state::{AppState, Config};

/// All routes, with CORS for any origin (the SDK calls the API from other origins, as it would
/// call giosg's).
pub fn router(state: AppState) -> Router {
    // Each Bearer endpoint is `api::bearer` with its handler.
    macro_rules! bearer {
        ($handler:path) => {
            |state: State<AppState>, request: Request| api::bearer(state, request, $handler)
        };
    }
    let api = Router::new()
        .route("/api/v5/public/orgs/{org}/auth", post(auth::auth))
        .route("/api/v5/public/orgs/{org}/rooms/{room}", get(bearer!(api::room_handler)))
        .route("/api/v5/public/orgs/{org}/rooms/{room}/online_users", get(bearer!(api::online_users_handler)))
        .route("/api/v5/public/orgs/{org}/rooms/{room}/visitors", post(bearer!(api::add_visitor_handler)))
        .route("/api/v5/public/orgs/{org}/rooms/{room}/visitors/{visitor}/chats", post(bearer!(api::create_chat_handler)))
        .route("/api/v5/public/visitors/{visitor}/chats", get(bearer!(api::list_chats_handler)))
        .route(
            "/api/v5/public/visitors/{visitor}/chats/{chat}/messages",
            get(bearer!(api::list_messages_handler)).post(bearer!(api::post_message_handler)),
        )
        .route("/__control/health", get(control::health))
        .route("/__control/reset", post(control::reset))
        .route(
            "/__control/orgs/{org}/faults",
            get(control::get_faults).put(control::put_faults).post(control::add_faults).delete(control::clear_faults),
        )
        .route("/__control/orgs/{org}/config", get(control::get_config).put(control::put_config))
        .route("/__control/orgs/{org}/stats", get(control::get_stats).delete(control::clear_stats))
        .route("/__control/orgs/{org}/foreign", get(control::foreign).post(control::foreign))
        .route("/__control/orgs/{org}/rooms", post(control::create_room))
        .route("/__control/orgs/{org}/rooms/{room}/online_users", post(control::operator_online))
        .route("/__control/orgs/{org}/rooms/{room}/online_users/{user}", delete(control::operator_offline))
        .route("/__control/orgs/{org}/chats/{chat}/messages", post(control::operator_message))
        .route(
            "/__control/orgs/{org}/realtime",
            get(control::get_realtime).put(control::put_realtime).delete(control::clear_realtime),
        )
        .route("/__control/orgs/{org}/realtime/drop", post(control::drop_sockets))
        // Room for a notification over 1 MiB (the SDK ignores those).
        .route("/__control/orgs/{org}/realtime/frames", post(control::send_frames).layer(DefaultBodyLimit::max(8 << 20)));
    let api = realtime::ROUTER_PATHS.iter().fold(api, |api, path| api.route(path, get(realtime::upgrade)));

    let mut app = api;
    if let Some(pkg) = &state.config.pkg {
        app = app.nest_service("/pkg", ServeDir::new(pkg));
    }
    if let Some(www) = &state.config.www {
        app = app.fallback_service(ServeDir::new(www).fallback(ServeFile::new(www.join("404.html"))));
    }
    // `Access-Control-Allow-Headers: *` does not cover `Authorization`: mirror what is asked.
    let cors = CorsLayer::new()
        .allow_origin(cors::Any)
        .allow_methods(cors::Any)
        .allow_headers(cors::AllowHeaders::mirror_request())
        .expose_headers(cors::Any)
        .max_age(std::time::Duration::from_secs(600));
    app.layer(cors).with_state(state)
}

/// Serves `router` on `listener` until the process ends. Each connection can be closed by its
/// request without an answer (the `drop` fault), which `axum::serve` cannot do.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let app = router(state);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Running out of file descriptors and the like: wait a little and go on.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let handle = exchange::ConnectionKill(kill.clone());
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(handle.clone());
                app.clone().oneshot(request.map(axum::body::Body::new))
            });
            // Upgrades: the sockets of `realtime.rs`.
            let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).with_upgrades();
            tokio::select! {
                _ = connection => {}
                _ = kill.notified() => {}
            }
        });
    }
}
