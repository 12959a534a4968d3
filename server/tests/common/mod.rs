//! What the test files share: a local server on a free port, and a real client for it.
#![allow(dead_code)]

use giosg_local_server::{serve, AppState, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const ORG: &str = "e6a08f51-c250-4074-847b-58d444dbbeb1";
pub const ORG2: &str = "11111111-2222-4333-8444-555555555555";

pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
}

pub async fn start(config: Config) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, AppState::new(config)));
    Server { base, http: reqwest::Client::new() }
}

pub async fn server() -> Server {
    start(Config::default()).await
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn auth_raw(&self, org: &str, body: &str) -> reqwest::Response {
        self.http.post(self.url(&format!("/api/v5/public/orgs/{org}/auth"))).body(body.to_owned()).send().await.unwrap()
    }

    /// Authenticates, expecting 200, and returns the answer.
    pub async fn auth(&self, org: &str, secret: Option<&str>) -> Value {
        let response = self.auth_raw(org, &json!({ "visitor_secret_id": secret }).to_string()).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self.http.request(method, self.url(&format!("/__control{path}")));
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        request.send().await.unwrap()
    }

    pub async fn fault(&self, org: &str, fault: Value) {
        let response = self.control(reqwest::Method::PUT, &format!("/orgs/{org}/faults"), Some(fault)).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    }

    pub async fn stats(&self, org: &str) -> Value {
        self.control(reqwest::Method::GET, &format!("/orgs/{org}/stats"), None).await.json().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(if path.starts_with("http") { path.to_owned() } else { self.url(path) });
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }
}

pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("{key} in {value}"))
}

/// Creates a room with `online_users` operators; returns its id.
pub async fn room(s: &Server, org: &str, online_users: usize) -> String {
    let response = s.control(reqwest::Method::POST, &format!("/orgs/{org}/rooms"), Some(json!({"display_name": "Sales", "online_users": online_users}))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}
