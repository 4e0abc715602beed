//! Promise helpers: every async method returns a Promise that resolves with plain data or
//! rejects with a `ChatixError` (never `undefined`).

use chatix_protocol::ApiError;
use js_sys::Promise;
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

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
