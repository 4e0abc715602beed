//! REST over `fetch` (gloo-net), with a timeout on every request; uploads over
//! `XMLHttpRequest`, the one browser API that reports upload progress.
//!
//! Every failure becomes an [`ApiError`]: the server's own `{error: {code, message}}`, or
//! `network` (no answer) or `timeout` (no answer in time).

use super::body::ToJs;
use chatix_protocol::{ApiError, ErrorCode};
use futures_channel::oneshot;
use gloo_net::http::{Method, RequestBuilder};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Timeout of a REST request, ms.
pub const TIMEOUT_MS: u32 = 15_000;

/// A REST answer as a JS value: the parsed body of a success, or the server's error.
pub fn parse_js(status: u16, text: &JsValue) -> Result<JsValue, ApiError> {
    let blank = text.as_string().is_none_or(|t| t.trim().is_empty());
    if (200..300).contains(&status) {
        if blank {
            return Ok(JsValue::NULL);
        }
        return super::wire::parse(text).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Internal,
                "unexpected answer from the server: not JSON",
            )
        });
    }
    let body =
        super::wire::parse(text).and_then(|v| super::wire::api_error(&super::js::get(&v, "error")));
    match body {
        Some(e) => Err(e),
        None => Err(ApiError::new(
            if status >= 500 {
                ErrorCode::Unavailable
            } else {
                ErrorCode::Internal
            },
            format!("the server answered HTTP {status}"),
        )),
    }
}

/// One REST call. `body` is sent as JSON when given; the answer stays a JS value.
pub async fn call<B: ToJs>(
    base: &str,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<JsValue, ApiError> {
    let (status, text) = call_text(base, token, method, path, json_body(body)?).await?;
    parse_js(status, &text)
}

/// A request body as JSON text.
pub fn json_body<B: ToJs>(body: Option<&B>) -> Result<Option<String>, ApiError> {
    body.map(|b| {
        super::wire::stringify(&b.to_js()).ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidArgument, "the request body is not JSON")
        })
    })
    .transpose()
}

/// The untyped part of [`call`] (kept out of the generic one, so it exists once).
pub async fn call_text(
    base: &str,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<(u16, JsValue), ApiError> {
    let controller = web_sys::AbortController::new()
        .map_err(|e| super::js::from_thrown(ErrorCode::Internal, &e))?;
    let timed_out = Rc::new(Cell::new(false));
    let timer = {
        let (c, t) = (controller.clone(), timed_out.clone());
        gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || {
            t.set(true);
            c.abort();
        })
    };
    let signal = controller.signal();
    let mut rb = RequestBuilder::new(&format!("{base}{path}"))
        .method(method)
        .abort_signal(Some(&signal));
    if let Some(t) = token {
        rb = rb.header("Authorization", &format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => rb.header("Content-Type", "application/json").body(b),
        None => rb.build(),
    }
    .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let res = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            return Err(if timed_out.get() {
                ApiError::new(
                    ErrorCode::Timeout,
                    format!("no answer from {path} within {} s", TIMEOUT_MS / 1000),
                )
            } else {
                ApiError::new(
                    ErrorCode::Network,
                    format!("could not reach the server: {e}"),
                )
            })
        }
    };
    let status = res.status();
    // The body stays a JS string: JSON.parse reads it where it is.
    let raw: web_sys::Response = res.into();
    let text = match raw.text() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
            .await
            .map_err(|e| super::js::from_thrown(ErrorCode::Network, &e))?,
        Err(e) => return Err(super::js::from_thrown(ErrorCode::Network, &e)),
    };
    drop(timer);
    Ok((status, text))
}

/// Uploads a file (`POST /v1/uploads`), reporting `(loaded, total)` bytes as it goes.
pub async fn upload(
    base: &str,
    token: &str,
    file: &web_sys::Blob,
    name: Option<&str>,
    on_progress: Box<dyn Fn(f64, f64)>,
) -> Result<JsValue, ApiError> {
    let thrown = |e: JsValue| super::js::from_thrown(ErrorCode::Network, &e);
    let xhr = web_sys::XmlHttpRequest::new().map_err(thrown)?;
    xhr.open("POST", &format!("{base}/v1/uploads"))
        .map_err(thrown)?;
    xhr.set_request_header("Authorization", &format!("Bearer {token}"))
        .map_err(thrown)?;
    xhr.set_timeout(10 * 60 * 1000);
    let form = web_sys::FormData::new().map_err(thrown)?;
    match name {
        Some(n) => form.append_with_blob_and_filename("file", file, n),
        None => form.append_with_blob("file", file),
    }
    .map_err(thrown)?;
    let progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            on_progress(e.loaded(), e.total());
        });
    if let Ok(up) = xhr.upload() {
        up.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let (tx, rx) = oneshot::channel::<Option<ErrorCode>>();
    let tx = Rc::new(Cell::new(Some(tx)));
    let done = |outcome: Option<ErrorCode>| {
        let tx = tx.clone();
        Closure::<dyn Fn()>::new(move || {
            if let Some(t) = tx.take() {
                let _ = t.send(outcome);
            }
        })
    };
    let (onload, onerror, ontimeout) = (
        done(None),
        done(Some(ErrorCode::Network)),
        done(Some(ErrorCode::Timeout)),
    );
    xhr.set_onload(Some(onload.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    xhr.set_ontimeout(Some(ontimeout.as_ref().unchecked_ref()));
    xhr.send_with_opt_form_data(Some(&form)).map_err(thrown)?;
    let outcome = rx.await.unwrap_or(Some(ErrorCode::Network));
    if let Some(code) = outcome {
        return Err(ApiError::new(code, "the upload did not complete"));
    }
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    parse_js(xhr.status().unwrap_or(0), &text.into())
}
