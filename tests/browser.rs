//! Browser suite: the wasm build in real Chrome and Firefox (`wasm-pack test --headless`),
//! against the local server whose URL `scripts/test.sh` passes in `GIOSG_LOCAL_SERVER`.
#![cfg(target_arch = "wasm32")]

use giosg_visitor::Visitor;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SERVER: &str = match option_env!("GIOSG_LOCAL_SERVER") {
    Some(url) => url,
    None => "http://127.0.0.1:8080",
};

/// A fresh organization id for each test, so that server counts and storage never mix.
fn new_org() -> String {
    let hex: String = (0..32).map(|_| char::from_digit((js_sys::Math::random() * 16.0) as u32, 16).unwrap_or('0')).collect();
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (k, v) in pairs {
        Reflect::set(&object, &(*k).into(), v).unwrap();
    }
    object.into()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// A fresh storage prefix per test: tests in one binary share one page and its localStorage.
fn prefix() -> String {
    format!("test{}", (js_sys::Math::random() * 1e9) as u64)
}

async fn control_json(path: &str) -> JsValue {
    let window = web_sys::window().unwrap();
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&format!("{SERVER}/__control{path}"))).await.unwrap().dyn_into().unwrap();
    JsFuture::from(response.json().unwrap()).await.unwrap()
}

#[wasm_bindgen_test]
async fn a_new_visitor_is_authenticated_through_fetch_against_the_local_server() {
    let org = new_org();
    let visitor = Visitor::new(options(&[
        ("organizationId", org.to_uppercase().into()),
        ("apiBaseUrl", SERVER.into()),
        ("storageKeyPrefix", prefix().into()),
    ]))
    .unwrap();
    assert_eq!(visitor.organization_id(), org);
    assert!(!visitor.is_authenticated());
    let before = js_sys::Date::now();
    let session = JsFuture::from(visitor.authenticate()).await.unwrap();
    let visitor_id = get(&session, "visitorId").as_string().unwrap();
    assert_eq!(visitor_id.len(), 32);
    assert_eq!(get(&session, "organizationId").as_string().unwrap(), org);
    assert_eq!(get(&session, "expiresIn").as_f64(), Some(1800.0));
    let expires: js_sys::Date = get(&session, "expiresAt").dyn_into().unwrap();
    assert!(expires.get_time() >= before + 1_799_000.0 && expires.get_time() <= js_sys::Date::now() + 1_800_000.0);
    assert!(get(&session, "visitor_secret_id").is_undefined());
    assert_eq!(visitor.visitor_id(), Some(visitor_id.clone()));
    assert!(visitor.is_authenticated());

    let stats = control_json(&format!("/orgs/{org}/stats")).await;
    assert_eq!(get(&stats, "auth_requests").as_f64(), Some(1.0));
    let entry = Reflect::get_u32(&get(&stats, "log"), 0).unwrap();
    assert_eq!(get(&entry, "visitor_id").as_string(), Some(visitor_id));
}

#[wasm_bindgen_test]
async fn a_second_visitor_object_on_the_same_storage_is_the_same_visitor() {
    let (org, prefix) = (new_org(), prefix());
    let make = || Visitor::new(options(&[("organizationId", org.as_str().into()), ("apiBaseUrl", SERVER.into()), ("storageKeyPrefix", prefix.as_str().into())])).unwrap();
    let first = JsFuture::from(make().authenticate()).await.unwrap();
    let second = JsFuture::from(make().authenticate()).await.unwrap();
    assert_eq!(get(&first, "visitorId"), get(&second, "visitorId"));
    let stats = control_json(&format!("/orgs/{org}/stats")).await;
    let entry = Reflect::get_u32(&get(&stats, "log"), 1).unwrap();
    assert_eq!(get(&entry, "secret_sent").as_bool(), Some(true));
    assert_eq!(get(&entry, "secret_known").as_bool(), Some(true));
}

#[wasm_bindgen_test]
fn invalid_options_throw_visitor_errors() {
    let bad = [
        options(&[]),
        options(&[("organizationId", "not-a-uuid".into())]),
        options(&[("organizationId", new_org().into()), ("apiBaseUrl", "http://example.com".into())]),
    ];
    for value in bad {
        let Err(error) = Visitor::new(value) else { panic!("accepted") };
        assert_eq!(get(&error, "name").as_string().as_deref(), Some("VisitorError"));
        assert_eq!(get(&error, "code").as_string().as_deref(), Some("invalid_options"));
        assert!(error.is_instance_of::<js_sys::Error>());
    }
}
