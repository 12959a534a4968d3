//! A Yew app on giosg-visitor's Rust API: the visitor's id, a live countdown of its token, a
//! request with the token, and a consent switch. The page's query picks the organization, the API
//! and the room: `?org=<uuid>&api=<url>&room=<id>` (the API defaults to the page's own origin).
//!
//! The one `Visitor` is made by `VisitorApp` and given to the components below through a context;
//! each takes its own clone. Listeners are `Subscription`s that each component keeps and drops
//! when it unmounts; when `VisitorApp` unmounts, the last clone goes and the visitor stops.


use giosg_visitor::{Event, Session, StorageKind, Visitor, VisitorOptions};
use gloo_net::http::Request;
use gloo_timers::callback::Interval;
use yew::platform::spawn_local;
use yew::prelude::*;

/// The organization when the page's query names none.
const DEFAULT_ORG: &str = "e6a08f51-c250-4074-847b-58d444dbbeb1";

/// What the page's query asks for.
#[derive(Clone, PartialEq)]
struct Config {
    org: String,
    api: String,
    room: String,
}

impl Config {
    fn from_page() -> Self {
        let location = web_sys::window().expect("a page").location();
        let query = web_sys::UrlSearchParams::new_with_str(&location.search().unwrap_or_default()).expect("a query");
        Config {
            org: query.get("org").unwrap_or_else(|| DEFAULT_ORG.to_owned()),
            api: query.get("api").unwrap_or_else(|| location.origin().unwrap_or_default()),
            room: query.get("room").unwrap_or_else(|| "no-such-room".to_owned()),
        }
    }
}

/// This component's clone of the visitor, from the context (a `Visitor` is its own context value:
/// clones of one visitor compare equal).
#[hook]
fn use_visitor() -> Visitor {
    use_context::<Visitor>().expect("inside VisitorApp")
}

/// The current session, updated by the visitor's events (authenticated, renewed, forgotten)
/// while the component is mounted.
#[hook]
fn use_session() -> Option<Session> {
    let visitor = use_visitor();
    let session = use_state(|| visitor.session());
    {
        let session = session.clone();
        use_effect_with((), move |_| {
            let listener = session.clone();
            let subscription = visitor.subscribe(move |event| match event {
                Event::Session { session, .. } => listener.set(Some(session.clone())),
                Event::IdentityChange { current: None, .. } => listener.set(None),
                _ => {}
            });
            // What changed between the first render and now.
            session.set(visitor.session());
            // Unmounted: the listener goes with its subscription.
            move || drop(subscription)
        });
    }
    (*session).clone()
}

#[function_component]
fn App() -> Html {
    let mounted = use_state(|| true);
    let toggle = {
        let mounted = mounted.clone();
        Callback::from(move |_| mounted.set(!*mounted))
    };
    html! {
        <main>
            <h1>{ "giosg-visitor, from Rust (Yew)" }</h1>
            if *mounted {
                <VisitorApp config={Config::from_page()} />
            } else {
                <p id="closed">{ "Closed: the visitor stopped." }</p>
            }
            <button id="unmount" onclick={toggle}>{ if *mounted { "Close the app" } else { "Open it again" } }</button>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct VisitorAppProps {
    config: Config,
}

/// Makes the visitor (in memory until consent), authenticates it and provides it.
#[function_component]
fn VisitorApp(props: &VisitorAppProps) -> Html {
    let visitor = use_memo(props.config.clone(), |config| {
        let options = VisitorOptions::new(config.org.as_str()).api_base_url(config.api.as_str()).storage(StorageKind::Memory);
        Visitor::new(options).map_err(|error| error.to_string())
    });
    let error = use_state(|| None::<String>);
    {
        let error = error.clone();
        use_effect_with(visitor.clone(), move |visitor| {
            if let Ok(visitor) = visitor.as_ref() {
                let authenticated = visitor.authenticate();
                spawn_local(async move {
                    if let Err(e) = authenticated.await {
                        error.set(Some(e.to_string()));
                    }
                });
            }
        });
    }
    match visitor.as_ref() {
        Err(message) => html! { <p id="error">{ message }</p> },
        Ok(visitor) => html! {
            <ContextProvider<Visitor> context={visitor.clone()}>
                <Identity />
                <Countdown />
                <RoomButton room={props.config.room.clone()} org={props.config.org.clone()} />
                <Consent />
                if let Some(message) = &*error {
                    <p id="error">{ message }</p>
                }
            </ContextProvider<Visitor>>
        },
    }
}

#[function_component]
fn Identity() -> Html {
    let session = use_session();
    html! {
        <p>{ "Visitor: " }<code id="visitor-id">{ session.as_ref().map(Session::visitor_id).unwrap_or("") }</code></p>
    }
}

/// The token's remaining seconds, every second; a renewal shows at once.
#[function_component]
fn Countdown() -> Html {
    let session = use_session();
    let tick = use_force_update();
    use_effect_with((), move |_| {
        let interval = Interval::new(1000, move || tick.force_update());
        move || drop(interval)
    });
    let Some(session) = session else {
        return html! { <p>{ "Token: none yet" }</p> };
    };
    let expires_at = session.expires_at_ms();
    let seconds = ((expires_at - js_sys::Date::now()) / 1000.0).ceil().max(0.0);
    html! {
        <p>{ "Token valid for " }<span id="countdown" data-expires-at={expires_at.to_string()}>{ seconds.to_string() }</span>{ " s" }</p>
    }
}

#[derive(Properties, PartialEq)]
struct RoomProps {
    org: String,
    room: String,
}

/// A request with the visitor's token; shows the answer's status.
#[function_component]
fn RoomButton(props: &RoomProps) -> Html {
    let visitor = use_visitor();
    let status = use_state(String::new);
    let onclick = {
        let status = status.clone();
        let url = visitor.api_url(&format!("/api/v5/public/orgs/{}/rooms/{}", props.org, props.room));
        Callback::from(move |_| {
            status.set("…".to_owned());
            let sent = Request::get(&url).build().map(|request| visitor.send(request));
            let status = status.clone();
            spawn_local(async move {
                let shown = match sent {
                    Ok(sent) => match sent.await {
                        Ok(response) => response.status().to_string(),
                        Err(error) => error.to_string(),
                    },
                    Err(error) => error.to_string(),
                };
                status.set(shown);
            });
        })
    };
    html! {
        <p>
            <button id="fetch-room" {onclick}>{ "Get the room" }</button>
            { " " }<output id="room-status">{ (*status).clone() }</output>
        </p>
    }
}

/// Consent to storage: given, the visitor is kept in localStorage (remembered across page
/// loads); withdrawn, every stored copy is erased and it lives on in memory. The same visitor.
#[function_component]
fn Consent() -> Html {
    let visitor = use_visitor();
    let kind = use_state(|| visitor.storage_kind());
    {
        let kind = kind.clone();
        let visitor = visitor.clone();
        use_effect_with((), move |_| {
            let subscription = visitor.subscribe(move |event| {
                if let Event::Storage { kind: now, .. } = event {
                    kind.set(*now);
                }
            });
            move || drop(subscription)
        });
    }
    let onchange = Callback::from(move |event: web_sys::Event| {
        let input: web_sys::HtmlInputElement = event.target_unchecked_into();
        let moved = visitor.set_storage(if input.checked() { StorageKind::Local } else { StorageKind::Memory });
        spawn_local(async move {
            if let Err(error) = moved.await {
                web_sys::console::warn_1(&format!("consent: {error}").into());
            }
        });
    });
    html! {
        <p>
            <label><input id="consent" type="checkbox" checked={*kind == StorageKind::Local} {onchange} />{ " I accept storage" }</label>
            { " Kept in: " }<span id="storage">{ kind.name() }</span>
        </p>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
