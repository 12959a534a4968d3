use giosg_visitor::{Event, Visitor, VisitorOptions};
use leptos::prelude::*;
use leptos::task::spawn_local;

fn main() {
    mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let org = "e6a08f51-c250-4074-847b-58d444dbbeb1"; // yours
    match Visitor::new(VisitorOptions::new(org)) {
        Ok(visitor) => {
            spawn_local({
                let visitor = visitor.clone();
                async move {
                    if let Err(error) = visitor.authenticate().await {
                        leptos::logging::error!("giosg: {error}");
                    }
                }
            });
            // `Visitor` is !Send: a local StoredValue, itself Send + Sync, is the context.
            provide_context(StoredValue::new_local(visitor));
            view! { <VisitorId/> }.into_any()
        }
        Err(error) => view! { <p>{error.to_string()}</p> }.into_any(),
    }
}

#[component]
fn VisitorId() -> impl IntoView {
    let visitor = expect_context::<StoredValue<Visitor, LocalStorage>>().get_value();
    let (visitor_id, set_visitor_id) = signal(visitor.visitor_id());
    // Kept as long as the component: dropped (unsubscribed) when it unmounts.
    StoredValue::new_local(visitor.subscribe(move |event| match event {
        Event::Session { session, .. } => set_visitor_id.set(Some(session.visitor_id().to_owned())),
        Event::IdentityChange { current, .. } => set_visitor_id.set(current.clone()),
        _ => {}
    }));
    view! { <p>"visitor: " {move || visitor_id.get().unwrap_or_default()}</p> }
}
