//! The local server over real HTTP: each test starts one on a free port and talks to it with a
//! real client, as the SDK and the browser tests do.

mod common;

use std::time::{Duration, Instant};

use common::{room, server, start, str_of, ORG, ORG2};
use giosg_local_server::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn a_new_visitor_gets_the_documented_answer() {
    let s = server().await;
    let answer = s.auth(ORG, None).await;
    let visitor_id = str_of(&answer, "visitor_id");
    assert!(visitor_id.len() == 32 && visitor_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(str_of(&answer, "visitor_secret_id").len() >= 32);
    assert_eq!(str_of(&answer, "organization_id"), ORG);
    // This server's own router, under the host the request named (and the organization, which
    // lets the control surface count a socket before it subscribes).
    let host = s.base.strip_prefix("http://").unwrap();
    assert_eq!(str_of(&answer, "socket_url"), format!("http://{host}/003/2/router?org={ORG}"));
    assert_eq!(str_of(&answer, "access_token").split('.').count(), 3);
    assert!(str_of(&answer, "expires_at").ends_with('Z'));
    assert_eq!(answer["expires_in"], 1800);
    assert_eq!(answer["minimal_bar_version"], 3);
    // `{}` is a new visitor too, as the documentation allows.
    let other = s.auth_raw(ORG, "{}").await.json::<Value>().await.unwrap();
    assert_ne!(other["visitor_id"], answer["visitor_id"]);
}

#[tokio::test]
async fn a_returning_visitor_keeps_its_id_and_secret_and_gets_a_new_token() {
    let s = server().await;
    let first = s.auth(ORG, None).await;
    let again = s.auth(ORG, Some(str_of(&first, "visitor_secret_id"))).await;
    assert_eq!(again["visitor_id"], first["visitor_id"]);
    assert_eq!(again["visitor_secret_id"], first["visitor_secret_id"]);
    assert_ne!(again["access_token"], first["access_token"]);
    let log = s.stats(ORG).await["log"].clone();
    assert_eq!(log[0]["secret_sent"], false);
    assert_eq!(log[1]["secret_sent"], true);
    assert_eq!(log[1]["secret_known"], true);
}

#[tokio::test]
async fn one_secret_is_the_same_visitor_with_another_id_at_another_organization() {
    let s = server().await;
    let first = s.auth(ORG, None).await;
    let secret = str_of(&first, "visitor_secret_id");
    let there = s.auth(ORG2, Some(secret)).await;
    assert_eq!(str_of(&there, "visitor_secret_id"), secret);
    assert_eq!(str_of(&there, "organization_id"), ORG2);
    assert_ne!(there["visitor_id"], first["visitor_id"]);
    let here = s.stats(ORG).await["log"][0]["visitor_global_id"].clone();
    let away = s.stats(ORG2).await["log"][0]["visitor_global_id"].clone();
    assert!(here.is_string());
    assert_eq!(here, away);
    // And it stays the same there.
    assert_eq!(s.auth(ORG2, Some(secret)).await["visitor_id"], there["visitor_id"]);
}

#[tokio::test]
async fn an_unknown_secret_is_401() {
    let s = server().await;
    let response = s.auth_raw(ORG, r#"{"visitor_secret_id":"a112586d51354fcbbcb9d55daee36e76"}"#).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let log = s.stats(ORG).await["log"][0].clone();
    assert_eq!((log["secret_sent"].clone(), log["secret_known"].clone()), (json!(true), json!(false)));
}

#[tokio::test]
async fn malformed_bodies_and_organization_ids_are_400() {
    let s = server().await;
    for body in ["", "not json", "[]", "null", r#"{"visitor_secret_id": 5}"#, r#"{"visitor_secret_id": ""}"#] {
        assert_eq!(s.auth_raw(ORG, body).await.status(), StatusCode::BAD_REQUEST, "{body:?}");
    }
    for org in ["not-a-uuid", "e6a08f51c2504074847b58d444dbbeb1", "e6a08f51-c250-4074-847b-58d444dbbeb"] {
        assert_eq!(s.auth_raw(org, "{}").await.status(), StatusCode::BAD_REQUEST, "{org}");
    }
}

#[tokio::test]
async fn token_lifetime_is_configurable_per_organization_and_by_default() {
    let s = start(Config { expires_in: 77, ..Config::default() }).await;
    assert_eq!(s.auth(ORG, None).await["expires_in"], 77);
    let response = s.control(reqwest::Method::PUT, &format!("/orgs/{ORG}/config"), Some(json!({"expires_in": 2}))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(s.auth(ORG, None).await["expires_in"], 2);
    assert_eq!(s.auth(ORG2, None).await["expires_in"], 77);
    s.control(reqwest::Method::PUT, &format!("/orgs/{ORG}/config"), Some(json!({"expires_in": null}))).await;
    assert_eq!(s.auth(ORG, None).await["expires_in"], 77);
    let bad = s.control(reqwest::Method::PUT, &format!("/orgs/{ORG}/config"), Some(json!({"expires_in": 0}))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bearer_endpoints_need_a_valid_unexpired_token_of_their_organization() {
    let s = server().await;
    let room_id = room(&s, ORG, 0).await;
    let path = format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}");
    assert_eq!(s.get(&path, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get(&path, Some("eyJ.unknown.token")).await.status(), StatusCode::UNAUTHORIZED);

    s.control(reqwest::Method::PUT, &format!("/orgs/{ORG}/config"), Some(json!({"expires_in": 1}))).await;
    let answer = s.auth(ORG, None).await;
    let token = str_of(&answer, "access_token");
    let response = s.get(&path, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let room: Value = response.json().await.unwrap();
    assert_eq!(room["display_name"], "Sales");
    for key in ["id", "display_name", "language_code", "is_online", "brand"] {
        assert!(room.get(key).is_some(), "{key} in {room}");
    }
    // Expired after its lifetime: wait until just past it.
    let deadline = Instant::now() + Duration::from_millis(1100);
    tokio::time::sleep_until(deadline.into()).await;
    assert_eq!(s.get(&path, Some(token)).await.status(), StatusCode::UNAUTHORIZED);

    let other = s.auth(ORG2, None).await;
    assert_eq!(s.get(&path, Some(str_of(&other, "access_token"))).await.status(), StatusCode::FORBIDDEN);
    let missing = format!("/api/v5/public/orgs/{ORG2}/rooms/{}", "00000000-0000-4000-8000-000000000000");
    assert_eq!(s.get(&missing, Some(str_of(&other, "access_token"))).await.status(), StatusCode::NOT_FOUND);
    assert!(s.stats(ORG).await["api_requests"].as_u64().unwrap() >= 4);
}

#[tokio::test]
async fn lists_paginate_with_cursors_until_next_is_null() {
    let s = server().await;
    let room_id = room(&s, ORG, 45).await;
    let token = s.auth(ORG, None).await["access_token"].as_str().unwrap().to_owned();
    let mut next = Some(s.url(&format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/online_users?page_size=20")));
    let (mut seen, mut pages) = (Vec::new(), 0);
    while let Some(url) = next {
        let page: Value = s.get(&url, Some(&token)).await.json().await.unwrap();
        for user in page["results"].as_array().unwrap() {
            seen.push(user["id"].as_str().unwrap().to_owned());
            assert!(user.get("public_name").is_some() && user.get("avatar").is_some());
        }
        if pages > 0 {
            assert!(page["previous"].is_string());
        } else {
            assert!(page["previous"].is_null());
        }
        next = page["next"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!((seen.len(), pages), (45, 3));
    seen.dedup();
    assert_eq!(seen.len(), 45);
}

#[tokio::test]
async fn a_visitor_joins_a_room_chats_and_sends_messages() {
    let s = server().await;
    let room_id = room(&s, ORG, 1).await;
    let answer = s.auth(ORG, None).await;
    let (token, visitor) = (str_of(&answer, "access_token"), str_of(&answer, "visitor_id"));
    let visitors = s.url(&format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/visitors"));
    let join = |body: Value| s.http.post(&visitors).bearer_auth(token).body(body.to_string()).send();
    assert_eq!(join(json!({"id": visitor, "presence_expires_in": 60})).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(join(json!({"id": visitor, "presence_expires_in": 60})).await.unwrap().status(), StatusCode::OK);
    assert_eq!(join(json!({"presence_expires_in": 60})).await.unwrap().status(), StatusCode::BAD_REQUEST);

    let chat: Value = s
        .http
        .post(s.url(&format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/visitors/{visitor}/chats")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat_id = str_of(&chat, "id");
    let messages = s.url(&format!("/api/v5/public/visitors/{visitor}/chats/{chat_id}/messages"));
    for text in ["hello", "anyone?"] {
        let response = s.http.post(&messages).bearer_auth(token).body(json!({"type": "msg", "message": text}).to_string()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let list: Value = s.get(&messages, Some(token)).await.json().await.unwrap();
    let texts: Vec<&str> = list["results"].as_array().unwrap().iter().map(|m| m["message"].as_str().unwrap()).collect();
    assert_eq!(texts, ["hello", "anyone?"]);
    let chats: Value = s.get(&format!("/api/v5/public/visitors/{visitor}/chats"), Some(token)).await.json().await.unwrap();
    assert_eq!(chats["results"][0]["id"], chat["id"]);
    // Another visitor cannot read them.
    let stranger = s.auth(ORG, None).await;
    assert_eq!(s.get(&messages, Some(str_of(&stranger, "access_token"))).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cors_answers_preflights_for_any_origin_including_authorization() {
    let s = server().await;
    let response = s
        .http
        .request(reqwest::Method::OPTIONS, s.url(&format!("/api/v5/public/orgs/{ORG}/rooms/x")))
        .header("Origin", "http://127.0.0.1:41234")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let h = response.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let answer = s.http.post(s.url(&format!("/api/v5/public/orgs/{ORG}/auth"))).header("Origin", "http://x.test").body("{}").send().await.unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
    assert_eq!(answer.headers()["access-control-expose-headers"], "*");
}

#[tokio::test]
async fn a_status_fault_with_retry_after_shows_once_then_clears() {
    let s = server().await;
    s.fault(ORG, json!({"status": 503, "retry_after": "7", "times": 1})).await;
    let response = s.auth_raw(ORG, "{}").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::OK);
    // Faults are per organization.
    s.fault(ORG, json!({"status": 500})).await;
    assert_eq!(s.auth_raw(ORG2, "{}").await.status(), StatusCode::OK);
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(s.control(reqwest::Method::DELETE, &format!("/orgs/{ORG}/faults"), None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::OK);
    let stats = s.stats(ORG).await;
    assert_eq!(stats["auth_requests"], 5);
    let statuses: Vec<u64> = stats["log"].as_array().unwrap().iter().map(|e| e["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [503, 200, 500, 500, 200]);
    assert!(stats["log"][0]["fault"].as_str().unwrap().contains("503"));
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let s = server().await;
    s.fault(ORG, json!({"status": 429, "retry_after_date_in": 30, "times": 1})).await;
    let response = s.auth_raw(ORG, "{}").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let date = httpdate::parse_http_date(response.headers()["retry-after"].to_str().unwrap()).unwrap();
    let ahead = date.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(ahead > Duration::from_secs(25) && ahead <= Duration::from_secs(31), "{ahead:?}");
}

#[tokio::test]
async fn a_delay_holds_the_answer() {
    let s = server().await;
    s.fault(ORG, json!({"delay_ms": 300, "times": 1})).await;
    let started = Instant::now();
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_dropped_connection_gives_no_answer() {
    let s = server().await;
    s.fault(ORG, json!({"drop": true, "times": 1})).await;
    let error = s.http.post(s.url(&format!("/api/v5/public/orgs/{ORG}/auth"))).body("{}").send().await.unwrap_err();
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert_eq!(s.stats(ORG).await["log"][0]["status"], Value::Null);
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_partial_body_breaks_off_after_the_headers() {
    let s = server().await;
    s.fault(ORG, json!({"partial": true, "times": 1})).await;
    let response = s.auth_raw(ORG, "{}").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn malformed_bodies_wrong_types_missing_fields_and_padding() {
    let s = server().await;
    s.fault(ORG, json!({"body": "{\"visitor_id\": ", "times": 1})).await;
    let response = s.auth_raw(ORG, "{}").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());

    s.fault(ORG, json!({"set": {"expires_in": "1800", "organization_id": ORG2}, "times": 1})).await;
    let answer: Value = s.auth_raw(ORG, "{}").await.json().await.unwrap();
    assert_eq!(answer["expires_in"], "1800");
    assert_eq!(answer["organization_id"], ORG2);

    s.fault(ORG, json!({"remove": ["access_token"], "times": 1})).await;
    let answer: Value = s.auth_raw(ORG, "{}").await.json().await.unwrap();
    assert!(answer.get("access_token").is_none() && answer.get("visitor_id").is_some());

    s.fault(ORG, json!({"pad_bytes": 70_000, "times": 1})).await;
    let body = s.auth_raw(ORG, "{}").await.bytes().await.unwrap();
    assert!(body.len() > 70_000);

    let answer = s.auth(ORG, None).await;
    assert!(answer["expires_in"].is_number());
}

#[tokio::test]
async fn api_scoped_faults_hit_bearer_endpoints_only() {
    let s = server().await;
    let room_id = room(&s, ORG, 0).await;
    let token = s.auth(ORG, None).await["access_token"].as_str().unwrap().to_owned();
    s.fault(ORG, json!({"scope": "api", "status": 401, "times": 1})).await;
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::OK);
    let path = format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}");
    assert_eq!(s.get(&path, Some(&token)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get(&path, Some(&token)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_control_surface_refuses_nonsense() {
    let s = server().await;
    for fault in [json!({"status": 42}), json!({"drop": true, "status": 500}), json!({"unknown": 1}), json!("x")] {
        let response = s.control(reqwest::Method::PUT, &format!("/orgs/{ORG}/faults"), Some(fault.clone())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fault}");
    }
    assert_eq!(s.control(reqwest::Method::GET, "/orgs/nope/stats", None).await.status(), StatusCode::BAD_REQUEST);
    s.fault(ORG, json!([{"status": 500, "times": 1}, {"status": 502, "times": 1}])).await;
    let pending: Value = s.control(reqwest::Method::GET, &format!("/orgs/{ORG}/faults"), None).await.json().await.unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 2);
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(s.auth_raw(ORG, "{}").await.status(), StatusCode::OK);
    assert_eq!(s.control(reqwest::Method::DELETE, &format!("/orgs/{ORG}/stats"), None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.stats(ORG).await["auth_requests"], 0);
    assert_eq!(s.control(reqwest::Method::POST, "/reset", None).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn serves_the_demo_and_the_package() {
    let dir = std::env::temp_dir().join(format!("giosg-static-{}", std::process::id()));
    let (www, pkg) = (dir.join("www"), dir.join("pkg"));
    std::fs::create_dir_all(&www).unwrap();
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(www.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(pkg.join("sdk_bg.wasm"), b"\0asm").unwrap();
    let s = start(Config { www: Some(www), pkg: Some(pkg), ..Config::default() }).await;
    assert_eq!(s.get("/", None).await.text().await.unwrap(), "<h1>demo</h1>");
    let wasm = s.get("/pkg/sdk_bg.wasm", None).await;
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(s.get("/nothing-here", None).await.status(), StatusCode::NOT_FOUND);
    std::fs::remove_dir_all(dir).ok();
}

/// The `redirect` fault answers the auth request with a 3xx and a `Location`; the `foreign`
/// endpoint, where it can point, counts and logs what reaches it and answers as an auth endpoint
/// would for a new visitor.
#[tokio::test]
async fn a_redirect_fault_points_the_auth_request_at_the_foreign_endpoint() {
    let s = server().await;
    let foreign = s.url(&format!("/__control/orgs/{ORG}/foreign")).replace("127.0.0.1", "localhost");
    s.fault(ORG, json!({"status": 307, "redirect": foreign})).await;
    let manual = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = s.url(&format!("/api/v5/public/orgs/{ORG}/auth"));
    let redirected = manual.post(&url).body(r#"{"visitor_secret_id":null}"#).send().await.unwrap();
    assert_eq!(redirected.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(redirected.headers()["location"], foreign.as_str());
    assert_eq!(s.stats(ORG).await["foreign_requests"], 0, "nothing reached the other end");
    // A client that follows it (this one does, as a browser's fetch does unless told not to)
    // sends the body there, and takes the other end's visitor.
    let followed = s.http.post(&url).body(r#"{"visitor_secret_id":"s3cr3t"}"#).send().await.unwrap();
    assert_eq!(followed.status(), StatusCode::OK);
    let answer: Value = followed.json().await.unwrap();
    assert_eq!(str_of(&answer, "organization_id"), ORG);
    assert_eq!(str_of(&answer, "visitor_secret_id").len(), 50);
    let stats = s.stats(ORG).await;
    assert_eq!(stats["foreign_requests"], 1);
    let entry = stats["log"].as_array().unwrap().iter().find(|e| e["kind"] == "foreign").cloned().unwrap();
    assert_eq!((entry["method"].as_str(), entry["secret_sent"].as_bool()), (Some("POST"), Some(true)));
    // A redirect needs a 3xx status.
    let refused = s.control(reqwest::Method::PUT, &format!("/orgs/{ORG}/faults"), Some(json!({"status": 200, "redirect": foreign}))).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}
