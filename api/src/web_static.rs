//! Serves the web app — the static export of `web/` (`next build` writes `web/out`) — at `/`,
//! on the same origin as `/graphql` (no CORS, no Node at run time).
//!
//! It is the server's default service, so every route registered before it (`/graphql`,
//! `/healthz`, `/metrics`, `/agent/…`) wins. A request path is resolved inside the directory
//! only: `P` as a file, `P/index.html` (a directory without its trailing slash is redirected to
//! it, as the export's links use trailing slashes), then `P.html`. Every client route of the app
//! is pre-rendered (object ids travel as `?id=` query parameters), so anything else is answered
//! with the export's `404.html` and status 404. Hashed assets under `/_next/static/` are cached
//! for a year; pages are revalidated on every load.
//!
//! The directory is `GANTRY_WEB_DIR` (file key `web_dir`); unset, `web/out` under the working
//! directory when it holds an `index.html`; without one, `/` answers 404 with a hint.

use std::path::{Component, Path, PathBuf};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::config::ConfigError;

/// The default folder of the export, relative to the working directory.
pub const DEFAULT_WEB_DIR: &str = "web/out";

/// The web app's folder from the `GANTRY_WEB_DIR` setting (`None` when unset): a named folder
/// must exist; unset, [`DEFAULT_WEB_DIR`] when it holds a built app, else no web app.
pub fn resolve_dir(setting: Option<String>) -> Result<Option<PathBuf>, ConfigError> {
    match setting {
        Some(v) => {
            let dir = PathBuf::from(&v);
            if dir.is_dir() {
                Ok(Some(dir))
            } else {
                Err(ConfigError::Invalid {
                    setting: "GANTRY_WEB_DIR",
                    value: v,
                    accepted: "an existing directory holding the built web app (e.g. web/out)",
                })
            }
        }
        None => {
            let dir = PathBuf::from(DEFAULT_WEB_DIR);
            Ok(dir.join("index.html").is_file().then_some(dir))
        }
    }
}

/// The folder served at `/` (shared by the server's workers).
#[derive(Debug, Clone)]
pub struct WebFiles {
    root: Option<PathBuf>,
}

/// What a request path resolves to.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    File(PathBuf),
    /// A directory named without its trailing slash: redirect to `path/`.
    AddSlash,
    NotFound,
}

impl WebFiles {
    /// Serves `root` (canonicalised; `None`: no web app).
    pub fn new(root: Option<PathBuf>) -> WebFiles {
        let root = root.and_then(|r| match r.canonicalize() {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(dir = %r.display(), error = %e, "web app folder unreadable: not serving it");
                None
            }
        });
        if let Some(r) = &root {
            tracing::info!(dir = %r.display(), "serving the web app at /");
        }
        WebFiles { root }
    }

    /// Resolves a URL path (as received, `/`-separated) to a file inside the root.
    pub fn resolve(&self, url_path: &str) -> Resolved {
        let Some(root) = &self.root else {
            return Resolved::NotFound;
        };
        let Some(rel) = safe_relative(url_path) else {
            return Resolved::NotFound;
        };
        let inside = |p: PathBuf| -> Option<PathBuf> {
            // Symbolic links must not lead out of the root.
            let c = p.canonicalize().ok()?;
            (c.starts_with(root) && c.is_file()).then_some(c)
        };
        if rel.as_os_str().is_empty() {
            return inside(root.join("index.html")).map_or(Resolved::NotFound, Resolved::File);
        }
        let target = root.join(&rel);
        if let Some(f) = inside(target.clone()) {
            return Resolved::File(f);
        }
        if target.is_dir() {
            if inside(target.join("index.html")).is_some() {
                if url_path.ends_with('/') {
                    return inside(target.join("index.html")).map_or(Resolved::NotFound, Resolved::File);
                }
                return Resolved::AddSlash;
            }
            return Resolved::NotFound;
        }
        let mut html = target.into_os_string();
        html.push(".html");
        inside(PathBuf::from(html)).map_or(Resolved::NotFound, Resolved::File)
    }

    fn not_found_page(&self) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        let p = root.join("404.html");
        p.is_file().then_some(p)
    }
}

/// The path's segments as a relative path, or `None` when a segment could leave the root
/// (`..`, absolute parts, backslashes, NUL, encoded characters).
fn safe_relative(url_path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for seg in url_path.split('/').filter(|s| !s.is_empty()) {
        if seg == "." || seg == ".." || seg.contains(['\\', '\0', '%', ':']) {
            return None;
        }
        out.push(seg);
    }
    out.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(out)
}

/// The content type of a file of the export.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "wasm" => "application/wasm",
        "stl" => "model/stl",
        _ => "application/octet-stream",
    }
}

async fn file_response(status: StatusCode, path: &Path, url_path: &str) -> HttpResponse {
    let body = match tokio::fs::read(path).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "web app file unreadable");
            return HttpResponse::NotFound().finish();
        }
    };
    let cache = if url_path.starts_with("/_next/static/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    // For HEAD, actix sends the headers (and the length) without the body.
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, content_type(path)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

/// The default service: a file of the web app, a redirect to a directory's slash, or 404.
pub async fn serve(req: HttpRequest, files: web::Data<WebFiles>) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return HttpResponse::NotFound().finish();
    }
    let path = req.path();
    match files.resolve(path) {
        Resolved::File(f) => file_response(StatusCode::OK, &f, path).await,
        Resolved::AddSlash => {
            let mut to = format!("{path}/");
            if !req.query_string().is_empty() {
                to.push('?');
                to.push_str(req.query_string());
            }
            match HeaderValue::from_str(&to) {
                Ok(v) => HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, v))
                    .finish(),
                Err(_) => HttpResponse::NotFound().finish(),
            }
        }
        Resolved::NotFound => match files.not_found_page() {
            Some(p) => file_response(StatusCode::NOT_FOUND, &p, path).await,
            None if files.root.is_none() && path == "/" => HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("The web app is not built: run `npm ci && npm run build` in web/, or set GANTRY_WEB_DIR.\n"),
            None => HttpResponse::NotFound().finish(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("gantry-web-{}-{nanos}", std::process::id()));
        for d in ["console/printers", "_next/static/chunks"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        for f in [
            "index.html",
            "404.html",
            "console/index.html",
            "console/printers/index.html",
            "_next/static/chunks/app.js",
            "gallery.html",
        ] {
            std::fs::write(dir.join(f), f).unwrap();
        }
        dir
    }

    #[test]
    fn resolves_inside_the_root_only() {
        let dir = scratch();
        let files = WebFiles::new(Some(dir.clone()));
        let root = dir.canonicalize().unwrap();
        let file = |p: &str| Resolved::File(root.join(p));
        assert_eq!(files.resolve("/"), file("index.html"));
        assert_eq!(files.resolve("/console/"), file("console/index.html"));
        assert_eq!(
            files.resolve("/console/printers/"),
            file("console/printers/index.html")
        );
        assert_eq!(files.resolve("/console"), Resolved::AddSlash);
        assert_eq!(files.resolve("/gallery"), file("gallery.html"));
        assert_eq!(
            files.resolve("/_next/static/chunks/app.js"),
            file("_next/static/chunks/app.js")
        );
        for bad in [
            "/../etc/passwd",
            "/console/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/console\\..\\x",
            "/nope",
            "/nope.js",
            "/c:/windows",
        ] {
            assert_eq!(files.resolve(bad), Resolved::NotFound, "{bad}");
        }
        assert_eq!(WebFiles::new(None).resolve("/"), Resolved::NotFound);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn setting_must_name_a_directory() {
        assert!(resolve_dir(Some("/definitely/not/here".into())).is_err());
        let dir = scratch();
        assert_eq!(
            resolve_dir(Some(dir.display().to_string())).unwrap(),
            Some(dir.clone())
        );
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(
            content_type(Path::new("a/b.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x")), "application/octet-stream");
    }
}
