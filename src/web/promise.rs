//! Promise helpers: every async method returns a Promise that resolves with plain data or
//! rejects with a `ChatixError` (never `undefined`).

use chatix_protocol::ApiError;
use gloo_net::http::Method;
use js_sys::Promise;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use super::body::ToJs;
use super::client::Client;
use super::js;

/// A boxed SDK future (one `future_to_promise` instance for every method keeps the
/// module small).
type BoxedCall = Pin<Box<dyn Future<Output = Result<JsValue, ApiError>>>>;

/// Runs `fut` as a Promise.
pub fn run<F>(fut: F) -> Promise
where
    F: Future<Output = Result<JsValue, ApiError>> + 'static,
{
    run_boxed(Box::pin(fut))
}

fn run_boxed(fut: BoxedCall) -> Promise {
    future_to_promise(async move { fut.await.map_err(|e| js::error(&e)) })
}

/// A Promise rejected with `e` (argument errors, found before anything goes on the wire).
pub fn reject(e: ApiError) -> Promise {
    Promise::reject(&js::error(&e))
}

/// Validates synchronously, then runs: a bad argument is a rejected Promise.
pub fn checked<A, F, Fut>(check: impl FnOnce() -> Result<A, ApiError>, then: F) -> Promise
where
    F: FnOnce(A) -> Fut,
    Fut: Future<Output = Result<JsValue, ApiError>> + 'static,
{
    match check() {
        Ok(a) => run(then(a)),
        Err(e) => reject(e),
    }
}

/// What a REST answer becomes for the caller.
pub type Then = Box<dyn FnOnce(&Rc<Client>, JsValue) -> Result<JsValue, ApiError>>;

/// A REST call described as data: the method checks its arguments and builds one, and
/// [`call`] runs it. Every plain call shares one state machine (an `async` block per method
/// was the largest share of the SDK's code).
pub struct Call {
    method: Method,
    path: String,
    body: Option<String>,
    then: Then,
}

impl Call {
    /// `method path`, answered as it is.
    pub fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            body: None,
            then: Box::new(|_, v| Ok(v)),
        }
    }

    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Call {
        Call::new(Method::GET, path)
    }

    /// With a JSON body.
    pub fn body<B: ToJs>(mut self, b: &B) -> Result<Call, ApiError> {
        self.body = super::http::json_body(Some(b))?;
        Ok(self)
    }

    /// The answer turned into the result by `f`.
    pub fn then(
        mut self,
        f: impl FnOnce(&Rc<Client>, JsValue) -> Result<JsValue, ApiError> + 'static,
    ) -> Call {
        self.then = Box::new(f);
        self
    }

    /// The answer is a user (its avatar URL made absolute).
    pub fn user(self) -> Call {
        self.then(|c, v| Ok(c.user(v)))
    }

    /// The answer's `users` list.
    pub fn users(self) -> Call {
        self.then(|c, v| Ok(c.users(js::get(&v, "users"))))
    }

    /// The answer is a chat's data (recorded).
    pub fn chat(self) -> Call {
        self.then(|c, v| {
            c.remember_chat(&v)?;
            Ok(v)
        })
    }

    /// Resolves with nothing.
    pub fn nothing(self) -> Call {
        self.then(|_, _| Ok(JsValue::UNDEFINED))
    }
}

/// Runs a described call as a Promise; an argument error is a rejected one.
pub fn call(c: &Rc<Client>, r: Result<Call, ApiError>) -> Promise {
    match r {
        Ok(call) => run_boxed(Box::pin(exec(c.clone(), call))),
        Err(e) => reject(e),
    }
}

async fn exec(c: Rc<Client>, call: Call) -> Result<JsValue, ApiError> {
    let v = c.rest_js(call.method, &call.path, call.body).await?;
    (call.then)(&c, v)
}

/// Runs an argument check (a closure, so that `?` works inside it).
pub fn check<A>(f: impl FnOnce() -> Result<A, ApiError>) -> Result<A, ApiError> {
    f()
}
