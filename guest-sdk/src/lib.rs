//! wasock guest SDK
mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "wasock:socket/guest",
        generate_all,
    });
}
