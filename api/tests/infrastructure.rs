//! Static validation of `infrastructure/`: the api Docker image, docker-compose and the Kubernetes
//! manifests.
//!
//! No Docker engine and no cluster are available to the test suite, so everything is checked as
//! text and data: every YAML file parses; every name referenced exists (compose services and
//! volumes, ConfigMaps, Secrets and their keys, claims, Services, ports); selectors match labels;
//! probes hit `/healthz` on the port the api listens on; URLs point at services that exist, on
//! their ports, with their credentials; and the environment handed to the api — by compose, by
//! Kubernetes, by the image — names only settings `gantry` reads and passes `Config::from_map`, the
//! validation `gantry` itself runs at start.
//!
//! `the_checks_catch_typical_mistakes` breaks the real files in memory, one mistake at a time, and
//! asserts that each is reported: these checks can fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use gantry_api::config::{Config, ObjectStoreConfig};
use serde::Deserialize;
use serde_yaml::Value;

const COMPOSE: &str = "infrastructure/docker-compose.yml";
const DOCKERFILE: &str = "infrastructure/docker/api.Dockerfile";
const DOCKERIGNORE: &str = ".dockerignore";
const K8S_DIR: &str = "infrastructure/k8s/";
const KUSTOMIZATION: &str = "infrastructure/k8s/kustomization.yaml";
const README: &str = "infrastructure/README.md";
/// The image built from `DOCKERFILE`, as the Kubernetes manifests name it.
const API_IMAGE: &str = "gantry/api";
/// Environment variables the api may be given that are not `gantry` settings.
const NON_CONFIG_ENV: &[&str] = &["RUST_LOG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// The files under test (repository-relative path → text) and what they are checked against.
#[derive(Clone)]
struct Infra {
    root: PathBuf,
    files: BTreeMap<String, String>,
    /// Environment variables `gantry` reads: the `KEYS` table of api/src/config.rs + GANTRY_CONFIG.
    config_keys: BTreeSet<String>,
    /// `[workspace] members` of the root Cargo.toml.
    members: Vec<String>,
}

impl Infra {
    fn load() -> Infra {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let mut files = BTreeMap::new();
        collect_files(&root, &root.join("infrastructure"), &mut files);
        files.insert(
            DOCKERIGNORE.to_string(),
            std::fs::read_to_string(root.join(DOCKERIGNORE)).unwrap(),
        );
        let config_src = std::fs::read_to_string(root.join("api/src/config.rs")).unwrap();
        let config_keys = config_keys(&config_src);
        assert!(
            config_keys.contains("GANTRY_LISTEN") && config_keys.contains("DATABASE_URL"),
            "{config_keys:?}"
        );
        let cargo: toml::Value =
            toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
        let members: Vec<String> = cargo["workspace"]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect();
        assert!(members.contains(&"api".to_string()), "{members:?}");
        Infra {
            root,
            files,
            config_keys,
            members,
        }
    }

    fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// A copy with the first occurrence of `from` in `path` replaced by `to`.
    fn mutated(&self, path: &str, from: &str, to: &str) -> Infra {
        let mut copy = self.clone();
        let text = copy
            .files
            .get_mut(path)
            .unwrap_or_else(|| panic!("no file {path}"));
        assert!(text.contains(from), "{path} does not contain {from:?}");
        *text = text.replacen(from, to, 1);
        copy
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            // Text files only (an image or archive someone adds is not ours to parse).
            if let Ok(text) = String::from_utf8(std::fs::read(&path).unwrap()) {
                out.insert(rel, text);
            }
        }
    }
}

/// The environment variable names of the `KEYS` table in api/src/config.rs, plus GANTRY_CONFIG.
fn config_keys(src: &str) -> BTreeSet<String> {
    let start = src.find("const KEYS").expect("a KEYS table in api/src/config.rs");
    let table = &src[start..];
    let table = &table[..table.find("];").expect("end of the KEYS table")];
    // The string literals of the table, whatever its formatting: upper case = environment name.
    let mut keys: BTreeSet<String> = table
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_string)
        .collect();
    keys.insert("GANTRY_CONFIG".to_string());
    keys
}

fn yaml_docs(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for de in serde_yaml::Deserializer::from_str(text) {
        let doc = Value::deserialize(de).map_err(|e| e.to_string())?;
        if !doc.is_null() {
            docs.push(doc);
        }
    }
    Ok(docs)
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// A YAML file directly in `K8S_DIR` (subfolders, e.g. overlays, are kustomizations of their own).
fn is_k8s_manifest(path: &str) -> bool {
    path.strip_prefix(K8S_DIR).is_some_and(|rest| !rest.contains('/')) && is_yaml(path)
}

// ---------------------------------------------------------------------------------------------
// Small helpers over YAML values, URLs and paths
// ---------------------------------------------------------------------------------------------

/// The value at a dotted path of mapping keys (keys themselves must not contain dots).
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn str_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    at(v, path)?.as_str()
}

fn seq_at<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A mapping of scalars as strings (absent → empty).
fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(m) = v.and_then(Value::as_mapping) {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (k.as_str(), scalar(v)) {
                out.insert(k.to_string(), v);
            }
        }
    }
    out
}

/// A command given as a list or a string, as one string.
fn command_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar).collect::<Vec<_>>().join(" "),
        Some(v) => scalar(v).unwrap_or_default(),
        None => String::new(),
    }
}

fn is_subset(small: &BTreeMap<String, String>, big: &BTreeMap<String, String>) -> bool {
    small.iter().all(|(k, v)| big.get(k) == Some(v))
}

#[derive(Debug)]
struct Url {
    scheme: String,
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    path: String,
}

fn parse_url(u: &str) -> Option<Url> {
    let (scheme, rest) = u.split_once("://")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((ui, hp)) => (Some(ui), hp),
        None => (None, authority),
    };
    let (user, password) = match userinfo.map(|ui| ui.split_once(':').unwrap_or((ui, ""))) {
        Some((u, p)) => (Some(u.to_string()), (!p.is_empty()).then(|| p.to_string())),
        None => (None, None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse().ok()?)),
        None => (hostport, None),
    };
    let path = path
        .split('?')
        .next()
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    Some(Url {
        scheme: scheme.to_string(),
        user,
        password,
        host: host.to_string(),
        port,
        path,
    })
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" | "postgresql" => Some(5432),
        "redis" => Some(6379),
        "mongodb" => Some(27017),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `a/b/../c` → `a/c`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

// ---------------------------------------------------------------------------------------------
// The environment of the api, wherever it is set
// ---------------------------------------------------------------------------------------------

/// Every variable is a setting `gantry` reads or a known non-setting; `Config::from_map` accepts
/// the whole set. Returns the validated configuration.
fn check_api_env(
    infra: &Infra,
    env: &BTreeMap<String, String>,
    origin: &str,
    p: &mut Vec<String>,
) -> Option<Config> {
    for name in env.keys() {
        let looks_like_setting = name.starts_with("GANTRY_")
            || ["DATABASE_URL", "REDIS_URL", "MONGODB_URL"].contains(&name.as_str());
        if looks_like_setting {
            if !infra.config_keys.contains(name) {
                p.push(format!(
                    "{origin}: {name} is not a setting gantry reads (see KEYS in api/src/config.rs)"
                ));
            }
        } else if !NON_CONFIG_ENV.contains(&name.as_str()) {
            p.push(format!(
                "{origin}: unexpected api environment variable {name} (neither a gantry setting nor one of \
                 {NON_CONFIG_ENV:?})"
            ));
        }
    }
    let map: HashMap<String, String> = env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    match Config::from_map(&map) {
        Ok(c) => Some(c),
        Err(e) => {
            p.push(format!("{origin}: gantry would refuse this configuration: {e}"));
            None
        }
    }
}

/// What listens behind a host name the api is pointed at (a compose service, a Kubernetes Service).
struct Backend {
    image: String,
    ports: Vec<u16>,
    env: BTreeMap<String, String>,
}

/// The api's URLs name hosts that exist, on their ports, with the credentials the services are
/// given; S3 credentials are MinIO's. Hosts with a dot are external and not checked.
fn check_backends(
    config: &Config,
    api_env: &BTreeMap<String, String>,
    lookup: &dyn Fn(&str) -> Option<Backend>,
    origin: &str,
    p: &mut Vec<String>,
) {
    let target =
        |setting: &str, url: &str, image_prefix: &str, p: &mut Vec<String>| -> Option<(Url, Backend)> {
            let Some(u) = parse_url(url) else {
                p.push(format!("{origin}: {setting}={url:?} is not a URL"));
                return None;
            };
            if u.host.contains('.') {
                return None;
            }
            let Some(b) = lookup(&u.host) else {
                p.push(format!(
                    "{origin}: {setting} points at host {:?}, which is not defined",
                    u.host
                ));
                return None;
            };
            if !b.image.starts_with(image_prefix) {
                p.push(format!(
                    "{origin}: {setting} host {:?} runs {:?}, not {image_prefix}…",
                    u.host, b.image
                ));
            }
            let port = u.port.or_else(|| default_port(&u.scheme));
            if !port.is_some_and(|port| b.ports.contains(&port)) {
                p.push(format!(
                    "{origin}: {setting} uses port {port:?} but {:?} serves {:?}",
                    u.host, b.ports
                ));
            }
            Some((u, b))
        };
    let expect = |what: String, got: Option<&str>, want: Option<&str>, p: &mut Vec<String>| {
        if got != want {
            p.push(format!(
                "{origin}: {what}: the api uses {got:?} but the service has {want:?}"
            ));
        }
    };

    if config.database.url.starts_with("postgres")
        && let Some((u, b)) = target("DATABASE_URL", &config.database.url, "postgres", p)
    {
        let user = b
            .env
            .get("POSTGRES_USER")
            .map(String::as_str)
            .unwrap_or("postgres");
        let db = b.env.get("POSTGRES_DB").map(String::as_str).unwrap_or(user);
        expect(
            "DATABASE_URL user vs POSTGRES_USER".into(),
            u.user.as_deref(),
            Some(user),
            p,
        );
        expect(
            "DATABASE_URL password vs POSTGRES_PASSWORD".into(),
            u.password.as_deref(),
            b.env.get("POSTGRES_PASSWORD").map(String::as_str),
            p,
        );
        expect(
            "DATABASE_URL database vs POSTGRES_DB".into(),
            Some(u.path.as_str()),
            Some(db),
            p,
        );
    }
    if let Some(url) = &config.cache.redis_url {
        target("REDIS_URL", url, "redis", p);
    }
    if let Some(url) = &config.telemetry.mongodb_url
        && let Some((u, b)) = target("MONGODB_URL", url, "mongo", p)
        && let Some(root) = b.env.get("MONGO_INITDB_ROOT_USERNAME")
    {
        expect(
            "MONGODB_URL user vs MONGO_INITDB_ROOT_USERNAME".into(),
            u.user.as_deref(),
            Some(root),
            p,
        );
        expect(
            "MONGODB_URL password vs MONGO_INITDB_ROOT_PASSWORD".into(),
            u.password.as_deref(),
            b.env.get("MONGO_INITDB_ROOT_PASSWORD").map(String::as_str),
            p,
        );
    }
    if let ObjectStoreConfig::S3 {
        endpoint: Some(endpoint),
        ..
    } = &config.storage.objects
        && let Some((_, b)) = target("GANTRY_S3_ENDPOINT", endpoint, "minio/minio", p)
    {
        for (api_var, minio_var) in [
            ("AWS_ACCESS_KEY_ID", "MINIO_ROOT_USER"),
            ("AWS_SECRET_ACCESS_KEY", "MINIO_ROOT_PASSWORD"),
        ] {
            expect(
                format!("{api_var} vs MinIO's {minio_var}"),
                api_env.get(api_var).map(String::as_str),
                b.env.get(minio_var).map(String::as_str),
                p,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

fn check_yaml_parses(infra: &Infra) -> Vec<String> {
    let mut p = Vec::new();
    let mut count = 0;
    for (path, text) in infra.files.iter().filter(|(path, _)| is_yaml(path)) {
        count += 1;
        match yaml_docs(text) {
            Err(e) => p.push(format!("{path}: YAML does not parse: {e}")),
            Ok(docs) if docs.is_empty() => p.push(format!("{path}: no YAML document")),
            Ok(docs) => {
                for (i, doc) in docs.iter().enumerate() {
                    if !doc.is_mapping() {
                        p.push(format!("{path}: document {i} is not a mapping"));
                    }
                }
            }
        }
    }
    if count < 3 {
        p.push(format!("only {count} YAML files under infrastructure/"));
    }
    p
}

// ---------------------------------------------------------------------------------------------
// docker-compose
// ---------------------------------------------------------------------------------------------

fn compose_env(service: &Value, name: &str, p: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    match service.get("environment") {
        None => {}
        Some(Value::Sequence(items)) => {
            for item in items {
                match item.as_str().and_then(|s| s.split_once('=')) {
                    Some((k, v)) => {
                        env.insert(k.to_string(), v.to_string());
                    }
                    None => p.push(format!(
                        "{COMPOSE}: {name}: environment entry {item:?} is not KEY=VALUE"
                    )),
                }
            }
        }
        Some(Value::Mapping(m)) => {
            for (k, v) in m {
                match (k.as_str(), scalar(v)) {
                    (Some(k), Some(v)) => {
                        env.insert(k.to_string(), v);
                    }
                    _ => p.push(format!("{COMPOSE}: {name}: environment {k:?} has no value")),
                }
            }
        }
        Some(other) => p.push(format!(
            "{COMPOSE}: {name}: environment is neither a list nor a map: {other:?}"
        )),
    }
    env
}

/// (service, condition) pairs of a service's depends_on, in list or map form.
fn compose_depends_on(service: &Value) -> Vec<(String, String)> {
    match service.get("depends_on") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .map(|s| (s.to_string(), "service_started".into()))
            .collect(),
        Some(Value::Mapping(m)) => m
            .iter()
            .filter_map(|(k, v)| {
                let cond = str_at(v, "condition").unwrap_or("service_started");
                Some((k.as_str()?.to_string(), cond.to_string()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Container-side ports of a service's `ports` (short `[ip:]host:container[/proto]` or long form).
fn compose_container_ports(service: &Value) -> Vec<u16> {
    seq_at(service, "ports")
        .iter()
        .filter_map(|port| match port {
            Value::Mapping(_) => port.get("target").and_then(scalar).and_then(|t| t.parse().ok()),
            other => {
                let s = scalar(other)?;
                let s = s.split('/').next()?.to_string();
                s.rsplit(':').next()?.parse().ok()
            }
        })
        .collect()
}

fn well_known_port(image: &str) -> Vec<u16> {
    let name = image.split(':').next().unwrap_or(image);
    match name {
        "postgres" => vec![5432],
        "redis" => vec![6379],
        "mongo" => vec![27017],
        "minio/minio" => vec![9000],
        _ => Vec::new(),
    }
}

fn check_compose(infra: &Infra) -> Vec<String> {
    let mut p = Vec::new();
    let Some(text) = infra.text(COMPOSE) else {
        return vec![format!("{COMPOSE} is missing")];
    };
    let compose = match yaml_docs(text) {
        Ok(docs) if docs.len() == 1 => docs.into_iter().next().unwrap_or_default(),
        Ok(docs) => {
            return vec![format!(
                "{COMPOSE}: expected one YAML document, found {}",
                docs.len()
            )];
        }
        Err(e) => return vec![format!("{COMPOSE}: {e}")],
    };
    let services: BTreeMap<String, &Value> = compose
        .get("services")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                .collect()
        })
        .unwrap_or_default();
    if services.is_empty() {
        return vec![format!("{COMPOSE}: no services")];
    }
    let volumes: BTreeSet<String> = compose
        .get("volumes")
        .and_then(Value::as_mapping)
        .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_string)).collect())
        .unwrap_or_default();

    // depends_on names exist; conditions are known; one-shot services are those awaited to complete.
    let mut one_shot = BTreeSet::new();
    let mut awaited_healthy = BTreeSet::new();
    for (name, service) in &services {
        for (dep, cond) in compose_depends_on(service) {
            if !services.contains_key(&dep) {
                p.push(format!("{COMPOSE}: {name} depends on unknown service {dep}"));
            }
            match cond.as_str() {
                "service_completed_successfully" => {
                    one_shot.insert(dep);
                }
                "service_healthy" => {
                    awaited_healthy.insert(dep);
                }
                "service_started" => {}
                other => p.push(format!("{COMPOSE}: {name}: unknown depends_on condition {other}")),
            }
        }
    }

    let mut used_volumes = BTreeSet::new();
    for (name, service) in &services {
        if service.get("image").is_none() && service.get("build").is_none() {
            p.push(format!("{COMPOSE}: {name} has neither image nor build"));
        }
        // Healthchecks on every long-running service.
        let test = command_text(at(service, "healthcheck.test"));
        let has_healthcheck = !test.is_empty()
            && !test.starts_with("NONE")
            && at(service, "healthcheck.disable").and_then(Value::as_bool) != Some(true);
        if !has_healthcheck && (!one_shot.contains(name) || awaited_healthy.contains(name)) {
            p.push(format!("{COMPOSE}: {name} has no healthcheck"));
        }
        // Named volumes are declared.
        for v in seq_at(service, "volumes") {
            let source = match v {
                Value::Mapping(_) => str_at(v, "source").map(str::to_string),
                other => scalar(other).and_then(|s| s.split_once(':').map(|(src, _)| src.to_string())),
            };
            if let Some(src) = source
                && !(src.starts_with('.') || src.starts_with('/') || src.starts_with('~'))
            {
                if !volumes.contains(&src) {
                    p.push(format!("{COMPOSE}: {name} mounts undeclared volume {src}"));
                }
                used_volumes.insert(src);
            }
        }
    }
    for v in volumes.difference(&used_volumes) {
        p.push(format!(
            "{COMPOSE}: volume {v} is declared but no service mounts it"
        ));
    }

    // The api service.
    let Some(api) = services.get("api") else {
        p.push(format!("{COMPOSE}: no api service"));
        return p;
    };
    let context = normalize(&format!(
        "infrastructure/{}",
        str_at(api, "build.context").unwrap_or("")
    ));
    let dockerfile = normalize(&format!(
        "{context}/{}",
        str_at(api, "build.dockerfile").unwrap_or("Dockerfile")
    ));
    if dockerfile != DOCKERFILE || !infra.files.contains_key(&dockerfile) {
        p.push(format!(
            "{COMPOSE}: api builds {dockerfile:?}, expected {DOCKERFILE} with the repository as context"
        ));
    }
    if !context.is_empty() {
        p.push(format!(
            "{COMPOSE}: api build context is {context:?}, not the repository root"
        ));
    }
    let env = compose_env(api, "api", &mut p);
    let Some(config) = check_api_env(infra, &env, &format!("{COMPOSE} api"), &mut p) else {
        return p;
    };
    let port = config.server.listen.port();
    if !compose_container_ports(api).contains(&port) {
        p.push(format!(
            "{COMPOSE}: api listens on {port} (GANTRY_LISTEN) but publishes {:?}",
            compose_container_ports(api)
        ));
    }
    let hc = command_text(at(api, "healthcheck.test"));
    if !hc.contains(&format!(":{port}/healthz")) {
        p.push(format!(
            "{COMPOSE}: api healthcheck {hc:?} does not request :{port}/healthz"
        ));
    }
    let api_deps: BTreeMap<String, String> = compose_depends_on(api).into_iter().collect();
    let lookup = |host: &str| -> Option<Backend> {
        let s = services.get(host)?;
        let image = str_at(s, "image").unwrap_or("").to_string();
        let mut scratch = Vec::new();
        Some(Backend {
            ports: well_known_port(&image),
            env: compose_env(s, host, &mut scratch),
            image,
        })
    };
    check_backends(&config, &env, &lookup, &format!("{COMPOSE} api"), &mut p);
    // The api waits for the healthy backends it uses.
    for url in [
        Some(&config.database.url),
        config.cache.redis_url.as_ref(),
        config.telemetry.mongodb_url.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(host) = parse_url(url).map(|u| u.host)
            && services.contains_key(&host)
            && api_deps.get(&host).map(String::as_str) != Some("service_healthy")
        {
            p.push(format!("{COMPOSE}: api does not wait for {host} to be healthy"));
        }
    }
    // The S3 bucket is created by a one-shot minio/mc service the api waits for.
    if let ObjectStoreConfig::S3 { bucket, .. } = &config.storage.objects {
        let creators: Vec<&String> = services
            .iter()
            .filter(|(_, s)| str_at(s, "image").is_some_and(|i| i.starts_with("minio/mc")))
            .filter(|(_, s)| {
                let cmd = format!(
                    "{} {}",
                    command_text(s.get("entrypoint")),
                    command_text(s.get("command"))
                );
                cmd.contains(" mb ") && cmd.contains(&format!("/{bucket}"))
            })
            .map(|(name, _)| name)
            .collect();
        match creators.first() {
            None => p.push(format!("{COMPOSE}: no minio/mc service creates bucket {bucket}")),
            Some(c) if api_deps.get(*c).map(String::as_str) != Some("service_completed_successfully") => p
                .push(format!(
                    "{COMPOSE}: api does not wait for {c} (bucket creation) to complete"
                )),
            Some(_) => {}
        }
    }
    check_compose_web(infra, &compose, &services, &config, &mut p);
    p
}

/// An nginx size (`100m`, `512k`, `1g`, bytes) in bytes.
fn nginx_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, unit) = match s.char_indices().last()? {
        (i, 'k') => (&s[..i], 1u64 << 10),
        (i, 'm') => (&s[..i], 1 << 20),
        (i, 'g') => (&s[..i], 1 << 30),
        _ => (s.as_str(), 1),
    };
    num.parse::<u64>().ok().map(|n| n * unit)
}

/// The `web` service: the front door (nginx) in front of the api, like the Ingress. Its config
/// file (a compose `configs:` entry) proxies to the api's port, takes bodies up to the api's
/// upload limit, and the api believes its X-Forwarded-For (its fixed address is trusted).
fn check_compose_web(
    infra: &Infra,
    compose: &Value,
    services: &BTreeMap<String, &Value>,
    config: &Config,
    p: &mut Vec<String>,
) {
    let Some(web) = services.get("web") else {
        p.push(format!(
            "{COMPOSE}: no web service (the front door, like the Ingress)"
        ));
        return;
    };
    let mut conf_text = None;
    for c in seq_at(web, "configs") {
        let source = str_at(c, "source").or_else(|| c.as_str()).unwrap_or("");
        let Some(file) = at(compose, &format!("configs.{source}.file")).and_then(Value::as_str) else {
            p.push(format!(
                "{COMPOSE}: web uses config {source:?}, which has no file"
            ));
            continue;
        };
        let path = normalize(&format!("infrastructure/{file}"));
        match infra.text(&path) {
            Some(t) => conf_text = Some((path, t)),
            None => p.push(format!("{COMPOSE}: web's config file {path} does not exist")),
        }
    }
    let Some((path, conf)) = conf_text else {
        p.push(format!("{COMPOSE}: web has no nginx config file"));
        return;
    };
    let directive = |name: &str| -> Option<String> {
        conf.lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .find_map(|l| {
                l.strip_prefix(name)
                    .map(|v| v.trim().trim_end_matches(';').trim().to_string())
            })
    };
    let upload = config.printing.max_upload_bytes;
    let size = directive("client_max_body_size ");
    if size.as_deref().and_then(nginx_size) != Some(upload) {
        p.push(format!(
            "{path}: client_max_body_size {size:?} is not the api's upload limit {upload}"
        ));
    }
    let port = config.server.listen.port();
    let pass = directive("proxy_pass ");
    if pass.as_deref() != Some(format!("http://api:{port}").as_str()) {
        p.push(format!("{path}: proxy_pass {pass:?} is not http://api:{port}"));
    }
    let addr = str_at(web, "networks.default.ipv4_address").and_then(|a| a.parse::<std::net::IpAddr>().ok());
    match addr {
        Some(ip) if config.server.trusted_proxies.iter().any(|n| n.contains(&ip)) => {}
        _ => p.push(format!(
            "{COMPOSE}: the api's GANTRY_TRUSTED_PROXIES does not cover web's fixed address {addr:?}"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

struct Doc {
    file: String,
    value: Value,
}

impl Doc {
    fn kind(&self) -> &str {
        str_at(&self.value, "kind").unwrap_or("")
    }
    fn name(&self) -> &str {
        str_at(&self.value, "metadata.name").unwrap_or("")
    }
    fn what(&self) -> String {
        format!("{} {} {}", self.file, self.kind(), self.name())
    }
}

const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "Job"];
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
];

struct K8s {
    docs: Vec<Doc>,
}

impl K8s {
    fn find(&self, kind: &str, name: &str) -> Option<&Doc> {
        self.docs.iter().find(|d| d.kind() == kind && d.name() == name)
    }
    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Doc> + 'a {
        self.docs.iter().filter(move |d| d.kind() == kind)
    }
    fn workloads(&self) -> impl Iterator<Item = &Doc> {
        self.docs.iter().filter(|d| WORKLOAD_KINDS.contains(&d.kind()))
    }
    /// Workloads whose pod template carries every label of `selector`.
    fn selected(&self, selector: &BTreeMap<String, String>) -> Vec<&Doc> {
        self.workloads()
            .filter(|w| !selector.is_empty() && is_subset(selector, &template_labels(w)))
            .collect()
    }

    /// The environment a container sees: envFrom (ConfigMaps, Secrets' stringData), then env.
    fn container_env(&self, c: &Value, origin: &str, p: &mut Vec<String>) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for source in seq_at(c, "envFrom") {
            let prefix = str_at(source, "prefix").unwrap_or("");
            for (kind, path) in [("ConfigMap", "configMapRef.name"), ("Secret", "secretRef.name")] {
                if let Some(name) = str_at(source, path) {
                    match self.object_data(kind, name, origin, p) {
                        Some(data) => env.extend(data.into_iter().map(|(k, v)| (format!("{prefix}{k}"), v))),
                        None => p.push(format!(
                            "{origin}: envFrom names {kind} {name}, which does not exist"
                        )),
                    }
                }
            }
        }
        for var in seq_at(c, "env") {
            let Some(name) = str_at(var, "name") else {
                p.push(format!("{origin}: env entry without a name"));
                continue;
            };
            if let Some(v) = var.get("value") {
                env.insert(name.to_string(), scalar(v).unwrap_or_default());
                continue;
            }
            for (kind, path) in [
                ("ConfigMap", "valueFrom.configMapKeyRef"),
                ("Secret", "valueFrom.secretKeyRef"),
            ] {
                if let Some(r) = at(var, path) {
                    let (obj, key) = (str_at(r, "name").unwrap_or(""), str_at(r, "key").unwrap_or(""));
                    match self
                        .object_data(kind, obj, origin, p)
                        .and_then(|d| d.get(key).cloned())
                    {
                        Some(v) => {
                            env.insert(name.to_string(), v);
                        }
                        None => p.push(format!(
                            "{origin}: env {name} refers to {kind} {obj} key {key}, which does not exist"
                        )),
                    }
                }
            }
        }
        env
    }

    /// A ConfigMap's data or a Secret's stringData, as strings.
    fn object_data(
        &self,
        kind: &str,
        name: &str,
        origin: &str,
        p: &mut Vec<String>,
    ) -> Option<BTreeMap<String, String>> {
        let doc = self.find(kind, name)?;
        if kind == "Secret" && doc.value.get("data").is_some() {
            p.push(format!(
                "{origin}: Secret {name} uses base64 `data`; the examples use `stringData`"
            ));
        }
        let field = if kind == "Secret" { "stringData" } else { "data" };
        Some(string_map(doc.value.get(field)))
    }
}

fn template_labels(w: &Doc) -> BTreeMap<String, String> {
    string_map(at(&w.value, "spec.template.metadata.labels"))
}

fn pod_spec(w: &Doc) -> Option<&Value> {
    at(&w.value, "spec.template.spec")
}

fn containers(pod: &Value) -> impl Iterator<Item = (bool, &Value)> {
    seq_at(pod, "initContainers")
        .iter()
        .map(|c| (true, c))
        .chain(seq_at(pod, "containers").iter().map(|c| (false, c)))
}

/// A probe/targetPort value (number or port name) resolved against a container's ports.
fn resolve_port(container: &Value, port: &Value) -> Option<u16> {
    let ports = seq_at(container, "ports");
    match port {
        Value::Number(n) => {
            let n = u16::try_from(n.as_u64()?).ok()?;
            ports
                .iter()
                .any(|cp| at(cp, "containerPort").and_then(Value::as_u64) == Some(u64::from(n)))
                .then_some(n)
        }
        Value::String(name) => ports
            .iter()
            .find(|cp| str_at(cp, "name") == Some(name.as_str()))
            .and_then(|cp| at(cp, "containerPort")?.as_u64())
            .and_then(|n| u16::try_from(n).ok()),
        _ => None,
    }
}

fn is_api_image(image: &str) -> bool {
    image.split(':').next() == Some(API_IMAGE)
}

fn load_k8s(infra: &Infra, p: &mut Vec<String>) -> K8s {
    let mut docs = Vec::new();
    for (path, text) in infra.files.iter().filter(|(path, _)| is_k8s_manifest(path)) {
        if path == KUSTOMIZATION {
            continue;
        }
        match yaml_docs(text) {
            Ok(values) => docs.extend(values.into_iter().map(|value| Doc {
                file: path.clone(),
                value,
            })),
            Err(e) => p.push(format!("{path}: {e}")),
        }
    }
    K8s { docs }
}

fn check_k8s(infra: &Infra) -> Vec<String> {
    let mut p = Vec::new();
    let k8s = load_k8s(infra, &mut p);
    if k8s.docs.is_empty() {
        return vec![format!("no manifests under {K8S_DIR}")];
    }

    // kustomization.yaml lists every manifest, and only existing ones.
    let kustomization = infra
        .text(KUSTOMIZATION)
        .and_then(|t| yaml_docs(t).ok())
        .and_then(|d| d.into_iter().next());
    let Some(kustomization) = kustomization else {
        return vec![format!("{KUSTOMIZATION} is missing or does not parse")];
    };
    let listed: Vec<String> = seq_at(&kustomization, "resources")
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    let manifests: BTreeSet<String> = infra
        .files
        .keys()
        .filter(|f| is_k8s_manifest(f) && f.as_str() != KUSTOMIZATION)
        .map(|f| f[K8S_DIR.len()..].to_string())
        .collect();
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    if listed_set.len() != listed.len() {
        p.push(format!("{KUSTOMIZATION}: a resource is listed twice: {listed:?}"));
    }
    for missing in manifests.difference(&listed_set) {
        p.push(format!("{KUSTOMIZATION}: {missing} is not listed in resources"));
    }
    for extra in listed_set.difference(&manifests) {
        p.push(format!("{KUSTOMIZATION}: resource {extra} does not exist"));
    }
    let namespace = str_at(&kustomization, "namespace")
        .unwrap_or("gantry")
        .to_string();
    if k8s.find("Namespace", &namespace).is_none() {
        p.push(format!("no Namespace {namespace} manifest"));
    }
    for image in seq_at(&kustomization, "images") {
        let name = str_at(image, "name").unwrap_or("");
        let used = k8s
            .workloads()
            .filter_map(pod_spec)
            .flat_map(containers)
            .any(|(_, c)| str_at(c, "image").and_then(|i| i.split(':').next()) == Some(name));
        if !used {
            p.push(format!(
                "{KUSTOMIZATION}: images entry {name} matches no container image"
            ));
        }
    }

    // Every document: apiVersion, kind, metadata.name, the namespace; unique names per kind.
    let mut seen = BTreeSet::new();
    for d in &k8s.docs {
        for field in ["apiVersion", "kind", "metadata.name"] {
            if str_at(&d.value, field).is_none_or(str::is_empty) {
                p.push(format!("{}: a document has no {field}", d.file));
            }
        }
        if !CLUSTER_SCOPED.contains(&d.kind())
            && let Some(ns) = str_at(&d.value, "metadata.namespace")
            && ns != namespace
        {
            p.push(format!("{}: namespace {ns}, expected {namespace}", d.what()));
        }
        if !seen.insert((d.kind().to_string(), d.name().to_string())) {
            p.push(format!("{}: defined twice", d.what()));
        }
    }

    // ConfigMap data and Secret stringData are strings (the API server rejects numbers/booleans).
    for (kind, field) in [("ConfigMap", "data"), ("Secret", "stringData")] {
        for d in k8s.of_kind(kind) {
            for (k, v) in d
                .value
                .get(field)
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
            {
                if !v.is_string() {
                    p.push(format!(
                        "{}: {field}.{} must be a string, is {v:?} (quote it)",
                        d.what(),
                        k.as_str().unwrap_or("?")
                    ));
                }
            }
        }
    }

    // Workloads: selectors, claims, volumes, containers, probes, resources, security.
    let mut migrate_runs = 0;
    let mut serve_runs = 0;
    // The settings of the serving api containers (for the Ingress checks).
    let mut served: Vec<Config> = Vec::new();
    let mut api_configs: Vec<(String, Config, BTreeMap<String, String>)> = Vec::new();
    for w in k8s.workloads() {
        let what = w.what();
        let labels = template_labels(w);
        let Some(pod) = pod_spec(w) else {
            p.push(format!("{what}: no spec.template.spec"));
            continue;
        };
        if w.kind() != "Job" {
            let selector = string_map(at(&w.value, "spec.selector.matchLabels"));
            if selector.is_empty() || !is_subset(&selector, &labels) {
                p.push(format!(
                    "{what}: selector {selector:?} does not match the template labels {labels:?}"
                ));
            }
        }
        if w.kind() == "StatefulSet" {
            let svc = str_at(&w.value, "spec.serviceName").unwrap_or("");
            match k8s.find("Service", svc) {
                None => p.push(format!("{what}: serviceName {svc:?} is not a Service")),
                Some(s) if !is_subset(&string_map(at(&s.value, "spec.selector")), &labels) => p.push(
                    format!("{what}: its governing Service {svc} does not select its pods"),
                ),
                Some(_) => {}
            }
        }
        let pod_non_root = at(pod, "securityContext.runAsNonRoot").and_then(Value::as_bool) == Some(true);
        let mut volumes: BTreeSet<String> = BTreeSet::new();
        for v in seq_at(pod, "volumes") {
            let name = str_at(v, "name").unwrap_or("").to_string();
            for (kind, path) in [
                ("ConfigMap", "configMap.name"),
                ("Secret", "secret.secretName"),
                ("PersistentVolumeClaim", "persistentVolumeClaim.claimName"),
            ] {
                if let Some(obj) = str_at(v, path)
                    && k8s.find(kind, obj).is_none()
                {
                    p.push(format!(
                        "{what}: volume {name} refers to {kind} {obj}, which does not exist"
                    ));
                }
            }
            volumes.insert(name);
        }
        for t in seq_at(&w.value, "spec.volumeClaimTemplates") {
            volumes.insert(str_at(t, "metadata.name").unwrap_or("").to_string());
        }
        for (init, c) in containers(pod) {
            let cname = str_at(c, "name").unwrap_or("?");
            let origin = format!("{what} container {cname}");
            let image = str_at(c, "image").unwrap_or("");
            if image.is_empty() {
                p.push(format!("{origin}: no image"));
            }
            for kind in ["requests", "limits"] {
                for res in ["cpu", "memory"] {
                    if at(c, &format!("resources.{kind}.{res}")).is_none() {
                        p.push(format!("{origin}: no resources.{kind}.{res}"));
                    }
                }
            }
            if !pod_non_root && at(c, "securityContext.runAsNonRoot").and_then(Value::as_bool) != Some(true) {
                p.push(format!("{origin}: not runAsNonRoot"));
            }
            let mounts: Vec<String> = seq_at(c, "volumeMounts")
                .iter()
                .filter_map(|m| str_at(m, "mountPath").map(str::to_string))
                .collect();
            for m in seq_at(c, "volumeMounts") {
                let name = str_at(m, "name").unwrap_or("");
                if !volumes.contains(name) {
                    p.push(format!(
                        "{origin}: mounts volume {name}, which is neither a pod volume nor a claim template"
                    ));
                }
            }
            // Probes target a port this container declares.
            let mut http_probes = BTreeMap::new();
            for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                for action in ["httpGet", "tcpSocket"] {
                    if let Some(port) = at(c, &format!("{probe}.{action}.port")) {
                        match resolve_port(c, port) {
                            None => p.push(format!(
                                "{origin}: {probe} port {port:?} is not a port of the container"
                            )),
                            Some(n) if action == "httpGet" => {
                                http_probes.insert(
                                    probe,
                                    (str_at(c, &format!("{probe}.httpGet.path")).unwrap_or(""), n),
                                );
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
            let env = k8s.container_env(c, &origin, &mut p);
            if !is_api_image(image) {
                continue;
            }
            // The gantry containers.
            let args = command_text(c.get("args"));
            if args == "migrate" {
                migrate_runs += 1;
            }
            if !init && w.kind() != "Job" {
                serve_runs += 1;
            }
            let Some(config) = check_api_env(infra, &env, &origin, &mut p) else {
                continue;
            };
            if init || w.kind() == "Job" {
                continue;
            }
            if args.split(' ').next() != Some("serve") {
                p.push(format!("{origin}: args {args:?} do not run `gantry serve`"));
            }
            served.push(config.clone());
            let port = config.server.listen.port();
            if resolve_port(c, &Value::from(port)).is_none() {
                p.push(format!(
                    "{origin}: GANTRY_LISTEN port {port} is not a containerPort"
                ));
            }
            // Readiness follows the database (/healthz); liveness must not (/livez), or a
            // database outage restarts every api pod.
            for (probe, want) in [("readinessProbe", "/healthz"), ("livenessProbe", "/livez")] {
                match http_probes.get(probe) {
                    Some(&(path, n)) if path == want && n == port => {}
                    other => p.push(format!(
                        "{origin}: {probe} must GET {want} on port {port}, is {other:?}"
                    )),
                }
            }
            if let Some(&(path, n)) = http_probes.get("startupProbe")
                && (path != "/healthz" || n != port)
            {
                p.push(format!("{origin}: startupProbe must GET /healthz on port {port}"));
            }
            let data_dir = config.storage.data_dir.display().to_string();
            if !mounts.contains(&data_dir) {
                p.push(format!(
                    "{origin}: GANTRY_DATA_DIR {data_dir} is not a mounted volume"
                ));
            }
            let replicas = at(&w.value, "spec.replicas").and_then(Value::as_u64).unwrap_or(1);
            if replicas < 2 {
                p.push(format!(
                    "{origin}: {replicas} replica(s); the api runs at least 2"
                ));
            }
            api_configs.push((origin, config, env));
        }
    }
    if migrate_runs == 0 {
        p.push("no init container or Job runs `gantry migrate`".to_string());
    }
    if serve_runs == 0 {
        p.push(format!("no workload runs the api image {API_IMAGE} with `serve`"));
    }

    // Services select pods and target their ports; what the api's URLs name resolves.
    for s in k8s.of_kind("Service") {
        let selector = string_map(at(&s.value, "spec.selector"));
        let selected = k8s.selected(&selector);
        if selected.is_empty() {
            p.push(format!(
                "{}: selector {selector:?} matches no workload's pod labels",
                s.what()
            ));
        }
        for port in seq_at(&s.value, "spec.ports") {
            let target = port
                .get("targetPort")
                .or_else(|| port.get("port"))
                .cloned()
                .unwrap_or_default();
            for w in &selected {
                let found = pod_spec(w)
                    .map(|pod| {
                        seq_at(pod, "containers")
                            .iter()
                            .any(|c| resolve_port(c, &target).is_some())
                    })
                    .unwrap_or(false);
                if !found {
                    p.push(format!(
                        "{}: targetPort {target:?} is not a container port of {}",
                        s.what(),
                        w.what()
                    ));
                }
            }
        }
    }
    let lookup = |host: &str| -> Option<Backend> {
        let s = k8s.find("Service", host)?;
        let ports = seq_at(&s.value, "spec.ports")
            .iter()
            .filter_map(|pt| at(pt, "port")?.as_u64()?.try_into().ok())
            .collect();
        let selected = k8s.selected(&string_map(at(&s.value, "spec.selector")));
        let c = selected
            .first()
            .and_then(|w| pod_spec(w))
            .and_then(|pod| seq_at(pod, "containers").first());
        let mut scratch = Vec::new();
        Some(Backend {
            image: c.and_then(|c| str_at(c, "image")).unwrap_or("").to_string(),
            env: c
                .map(|c| k8s.container_env(c, host, &mut scratch))
                .unwrap_or_default(),
            ports,
        })
    };
    for (origin, config, env) in &api_configs {
        check_backends(config, env, &lookup, origin, &mut p);
        // The bucket is created by a minio/mc Job for the same bucket.
        if let ObjectStoreConfig::S3 { bucket, .. } = &config.storage.objects {
            let created = k8s
                .of_kind("Job")
                .filter_map(pod_spec)
                .flat_map(containers)
                .any(|(_, c)| {
                    let cmd = format!(
                        "{} {}",
                        command_text(c.get("command")),
                        command_text(c.get("args"))
                    );
                    let mut scratch = Vec::new();
                    let job_env = k8s.container_env(c, "job", &mut scratch);
                    let names_bucket = cmd.contains(&format!("/{bucket}"))
                        || job_env
                            .iter()
                            .any(|(k, v)| v == bucket && cmd.contains(&format!("${k}")));
                    str_at(c, "image").is_some_and(|i| i.starts_with("minio/mc"))
                        && cmd.contains(" mb ")
                        && names_bucket
                });
            if !created {
                p.push(format!("{origin}: no minio/mc Job creates bucket {bucket}"));
            }
        }
    }

    // The Ingress takes bodies up to the upload limit (no less: uploads would fail at the proxy
    // with an untyped 413; no more: the server refuses them anyway), routes `/` (the web app,
    // served by the api) and `/graphql` to the api, and the api believes its X-Forwarded-For.
    for ing in k8s.of_kind("Ingress") {
        let size = at(&ing.value, "metadata.annotations")
            .and_then(|a| a.get("nginx.ingress.kubernetes.io/proxy-body-size"))
            .and_then(Value::as_str);
        for config in &served {
            let want = config.printing.max_upload_bytes;
            if size.and_then(nginx_size) != Some(want) {
                p.push(format!(
                    "{}: proxy-body-size {size:?} is not the upload limit GANTRY_MAX_UPLOAD_BYTES={want}",
                    ing.what()
                ));
            }
            if config.server.trusted_proxies.is_empty() {
                p.push(format!(
                    "{}: the api behind it sets no GANTRY_TRUSTED_PROXIES (the client address would be the proxy's)",
                    ing.what()
                ));
            }
        }
        let routed: Vec<(String, String)> = seq_at(&ing.value, "spec.rules")
            .iter()
            .flat_map(|r| seq_at(r, "http.paths").iter())
            .map(|path| {
                (
                    str_at(path, "path").unwrap_or("").to_string(),
                    str_at(path, "backend.service.name").unwrap_or("").to_string(),
                )
            })
            .collect();
        for want in ["/", "/graphql"] {
            // The longest matching prefix decides (pathType Prefix).
            let backend = routed
                .iter()
                .filter(|(path, _)| want.starts_with(path.as_str()))
                .max_by_key(|(path, _)| path.len())
                .map(|(_, svc)| svc.as_str());
            if backend != Some("gantry-api") {
                p.push(format!(
                    "{}: {want} goes to {backend:?}, not the api Service gantry-api",
                    ing.what()
                ));
            }
        }
    }

    // Ingress backends are Services and their ports.
    for ing in k8s.of_kind("Ingress") {
        for rule in seq_at(&ing.value, "spec.rules") {
            for path in seq_at(rule, "http.paths") {
                let svc = str_at(path, "backend.service.name").unwrap_or("");
                let Some(s) = k8s.find("Service", svc) else {
                    p.push(format!("{}: backend Service {svc:?} does not exist", ing.what()));
                    continue;
                };
                let port_name = str_at(path, "backend.service.port.name");
                let port_number = at(path, "backend.service.port.number").and_then(Value::as_u64);
                let ok = seq_at(&s.value, "spec.ports").iter().any(|pt| {
                    (port_name.is_some() && str_at(pt, "name") == port_name)
                        || (port_number.is_some() && at(pt, "port").and_then(Value::as_u64) == port_number)
                });
                if !ok {
                    p.push(format!(
                        "{}: Service {svc} has no port {port_name:?}/{port_number:?}",
                        ing.what()
                    ));
                }
            }
        }
    }

    // The image's user is the user the api pods run as.
    if let Some(user) = infra.text(DOCKERFILE).and_then(dockerfile_user) {
        for w in k8s.workloads() {
            let Some(pod) = pod_spec(w) else { continue };
            let runs_api = containers(pod).any(|(_, c)| str_at(c, "image").is_some_and(is_api_image));
            if let Some(uid) = at(pod, "securityContext.runAsUser").and_then(scalar)
                && runs_api
                && uid != user
            {
                p.push(format!(
                    "{}: runAsUser {uid} but the image's USER is {user}",
                    w.what()
                ));
            }
        }
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Instr {
    line: usize,
    op: String,
    args: String,
}

/// Instructions with continuation lines joined and comments dropped.
fn dockerfile_instructions(text: &str) -> Vec<Instr> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        let (body, continues) = match t.strip_suffix('\\') {
            Some(b) => (b.trim(), true),
            None => (t, false),
        };
        match &mut current {
            Some((_, s)) => {
                s.push(' ');
                s.push_str(body);
            }
            None => current = Some((i + 1, body.to_string())),
        }
        if !continues && let Some((line, s)) = current.take() {
            let (op, args) = s.split_once(char::is_whitespace).unwrap_or((&s, ""));
            out.push(Instr {
                line,
                op: op.to_uppercase(),
                args: args.trim().to_string(),
            });
        }
    }
    out
}

fn tokens(s: &str) -> Vec<&str> {
    s.split(|c: char| c.is_whitespace() || c == ';')
        .filter(|t| !t.is_empty())
        .collect()
}

fn json_array(args: &str) -> Option<Vec<String>> {
    serde_json::from_str(args).ok()
}

/// `ENV A=1 B=2` (or the legacy `ENV A 1`).
fn dockerfile_env(args: &str) -> BTreeMap<String, String> {
    let unquote = |s: &str| s.trim_matches('"').to_string();
    let first = args.split_whitespace().next().unwrap_or("");
    if first.contains('=') {
        args.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), unquote(v)))
            .collect()
    } else {
        args.split_once(char::is_whitespace)
            .map(|(k, v)| BTreeMap::from([(k.to_string(), unquote(v.trim()))]))
            .unwrap_or_default()
    }
}

/// The numeric user of the final stage (`USER 10001:10001` → "10001").
fn dockerfile_user(text: &str) -> Option<String> {
    let instrs = dockerfile_instructions(text);
    let last_from = instrs.iter().rposition(|i| i.op == "FROM")?;
    instrs[last_from..]
        .iter()
        .rev()
        .find(|i| i.op == "USER")
        .map(|i| i.args.split(':').next().unwrap_or("").to_string())
}

fn check_dockerfile(infra: &Infra) -> Vec<String> {
    let mut p = Vec::new();
    let Some(text) = infra.text(DOCKERFILE) else {
        return vec![format!("{DOCKERFILE} is missing")];
    };
    let instrs = dockerfile_instructions(text);
    let froms: Vec<usize> = instrs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.op == "FROM")
        .map(|(n, _)| n)
        .collect();
    if froms.len() < 2 {
        return vec![format!(
            "{DOCKERFILE}: not a multi-stage build ({} FROM)",
            froms.len()
        )];
    }
    let builder = &instrs[froms[0]..froms[1]];
    let last = froms[froms.len() - 1];
    let runtime = &instrs[last..];
    let from_builder = tokens(&builder[0].args);
    if !(from_builder
        .first()
        .is_some_and(|i| i.starts_with("rust:") && i.contains("bookworm"))
        && from_builder.get(1).is_some_and(|a| a.eq_ignore_ascii_case("as"))
        && from_builder.get(2) == Some(&"builder"))
    {
        p.push(format!(
            "{DOCKERFILE}: first stage is {:?}, expected rust:…-bookworm AS builder",
            builder[0].args
        ));
    }
    if !runtime[0].args.starts_with("debian:bookworm-slim") {
        p.push(format!(
            "{DOCKERFILE}: final stage is {:?}, expected debian:bookworm-slim",
            runtime[0].args
        ));
    }
    let installs = |stage: &[Instr], pkg: &str| {
        stage.iter().filter(|i| i.op == "RUN").any(|i| {
            let t = tokens(&i.args);
            t.contains(&"apt-get") && t.contains(&"install") && t.contains(&pkg)
        })
    };
    for pkg in ["cmake", "libclang-dev"] {
        if !installs(builder, pkg) {
            p.push(format!(
                "{DOCKERFILE}: the builder does not apt-get install {pkg} (HiGHS builds from source)"
            ));
        }
    }

    // Build order: manifests + lock + stubs, dependency build, sources, touch, real build.
    let is_cargo_build = |i: &Instr| {
        let t = tokens(&i.args);
        i.op == "RUN" && t.windows(2).any(|w| w == ["cargo", "build"])
    };
    let builds: Vec<usize> = builder
        .iter()
        .enumerate()
        .filter(|(_, i)| is_cargo_build(i))
        .map(|(n, _)| n)
        .collect();
    for &b in &builds {
        let t = tokens(&builder[b].args);
        if !(t.contains(&"--release")
            && t.contains(&"--locked")
            && t.windows(2).any(|w| w == ["-p", "gantry-api"]))
        {
            p.push(format!(
                "{DOCKERFILE}:{}: cargo build without --release --locked -p gantry-api",
                builder[b].line
            ));
        }
    }
    let (Some(&first_build), Some(&last_build)) = (builds.first(), builds.last()) else {
        p.push(format!("{DOCKERFILE}: the builder runs no cargo build"));
        return p;
    };
    let copies: Vec<(usize, Vec<&str>)> = builder
        .iter()
        .enumerate()
        .filter(|(_, i)| i.op == "COPY" && !i.args.starts_with("--from"))
        .map(|(n, i)| {
            let t = tokens(&i.args);
            let sources = t[..t.len().saturating_sub(1)]
                .iter()
                .copied()
                .filter(|s| !s.starts_with("--"))
                .collect();
            (n, sources)
        })
        .collect();
    let copied_before =
        |path: &str, before: usize| copies.iter().any(|(n, s)| *n < before && s.contains(&path));
    for f in ["Cargo.toml", "Cargo.lock"] {
        if !copied_before(f, first_build) {
            p.push(format!(
                "{DOCKERFILE}: {f} is not copied before the dependency build"
            ));
        }
    }
    let source_copy = |m: &str| {
        copies
            .iter()
            .find(|(_, s)| s.iter().any(|s| s.trim_end_matches('/') == m))
            .map(|(n, _)| *n)
    };
    for m in &infra.members {
        if !copied_before(&format!("{m}/Cargo.toml"), first_build) {
            p.push(format!(
                "{DOCKERFILE}: workspace member {m}'s Cargo.toml is not copied before the dependency build"
            ));
        }
        match source_copy(m) {
            None => p.push(format!("{DOCKERFILE}: workspace member {m} is never copied")),
            Some(n) if n < first_build => p.push(format!(
                "{DOCKERFILE}: {m}/ is copied before the dependency build (defeats the layer cache)"
            )),
            Some(n) if n > last_build => {
                p.push(format!("{DOCKERFILE}: {m}/ is copied after the last cargo build"))
            }
            Some(_) => {}
        }
    }
    // The stubs cover exactly the workspace members.
    let stub_list = builder[..first_build + 1]
        .iter()
        .filter(|i| i.op == "RUN")
        .find_map(|i| {
            i.args
                .split_once("for crate in ")
                .and_then(|(_, rest)| rest.split(';').next())
                .map(tokens)
        });
    let members: BTreeSet<&str> = infra.members.iter().map(String::as_str).collect();
    match stub_list {
        Some(list) if list.iter().copied().collect::<BTreeSet<_>>() == members => {}
        other => p.push(format!(
            "{DOCKERFILE}: the stub crates {other:?} are not the workspace members {members:?}"
        )),
    }
    let touched = builder[first_build + 1..=last_build]
        .iter()
        .any(|i| i.op == "RUN" && tokens(&i.args).contains(&"touch"));
    if builds.len() < 2 || !touched {
        p.push(format!(
            "{DOCKERFILE}: the sources must be touched before the real build (COPY keeps old mtimes; cargo would \
             keep the stub build)"
        ));
    }
    // COPY sources exist and are not ignored by .dockerignore.
    let ignored: Vec<String> = infra
        .text(DOCKERIGNORE)
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_start_matches("**/").trim_start_matches('/').to_string())
        .collect();
    for (_, sources) in &copies {
        for src in sources {
            if !infra.root.join(src).exists() {
                p.push(format!("{DOCKERFILE}: COPY source {src} does not exist"));
            }
            if src
                .split('/')
                .next()
                .is_some_and(|first| ignored.iter().any(|i| i == first || i == src))
            {
                p.push(format!(
                    "{DOCKERFILE}: COPY source {src} is excluded by {DOCKERIGNORE}"
                ));
            }
        }
    }

    // The runtime stage.
    let op = |name: &str| runtime.iter().rev().find(|i| i.op == name);
    if op("ENTRYPOINT").and_then(|i| json_array(&i.args)) != Some(vec!["gantry".to_string()]) {
        p.push(format!("{DOCKERFILE}: the final ENTRYPOINT is not [\"gantry\"]"));
    }
    if op("CMD").and_then(|i| json_array(&i.args)) != Some(vec!["serve".to_string()]) {
        p.push(format!("{DOCKERFILE}: the final CMD is not [\"serve\"]"));
    }
    match op("USER").map(|i| i.args.split(':').next().unwrap_or("").to_string()) {
        Some(u) if u != "root" && u != "0" && u.parse::<u32>().is_ok() => {}
        other => p.push(format!(
            "{DOCKERFILE}: the runtime user {other:?} is not a numeric non-root user"
        )),
    }
    if !runtime
        .iter()
        .any(|i| i.op == "COPY" && i.args.starts_with("--from=builder") && i.args.contains("gantry"))
    {
        p.push(format!(
            "{DOCKERFILE}: the runtime stage does not copy gantry from the builder"
        ));
    }
    if !installs(runtime, "ca-certificates") {
        p.push(format!(
            "{DOCKERFILE}: the runtime stage does not install ca-certificates"
        ));
    }
    let env: BTreeMap<String, String> = runtime
        .iter()
        .filter(|i| i.op == "ENV")
        .flat_map(|i| dockerfile_env(&i.args))
        .collect();
    for var in ["GANTRY_LISTEN", "GANTRY_DATA_DIR", "GANTRY_WEB_DIR"] {
        if !env.contains_key(var) {
            p.push(format!("{DOCKERFILE}: the runtime stage does not set {var}"));
        }
    }
    // The web app: a `web` stage (Node.js >= 20.9 for Next 16) installs from the lock file and
    // builds the static export; the runtime copies it where GANTRY_WEB_DIR points.
    let web_stage: Vec<&Instr> = froms
        .windows(2)
        .map(|w| &instrs[w[0]..w[1]])
        .find(|st| {
            let t = tokens(&st[0].args);
            t.len() == 3 && t[1].eq_ignore_ascii_case("as") && t[2] == "web"
        })
        .map(|st| st.iter().collect())
        .unwrap_or_default();
    match web_stage.first().map(|i| tokens(&i.args)[0].to_string()) {
        Some(image) => {
            let major = image
                .strip_prefix("node:")
                .and_then(|v| v.split(['-', '.']).next())
                .and_then(|v| v.parse::<u32>().ok());
            if major.is_none_or(|m| m < 22) {
                p.push(format!(
                    "{DOCKERFILE}: the web stage's image {image:?} is not node:22 or newer"
                ));
            }
            let runs = |needle: &[&str]| {
                web_stage
                    .iter()
                    .any(|i| i.op == "RUN" && tokens(&i.args).windows(needle.len()).any(|w| w == needle))
            };
            if !runs(&["npm", "ci"]) {
                p.push(format!(
                    "{DOCKERFILE}: the web stage does not install with `npm ci` (the lock file)"
                ));
            }
            if !runs(&["next", "build"]) {
                p.push(format!("{DOCKERFILE}: the web stage does not run `next build`"));
            }
        }
        None => p.push(format!("{DOCKERFILE}: no `web` stage builds the web app")),
    }
    let web_copy = runtime
        .iter()
        .filter(|i| i.op == "COPY" && i.args.starts_with("--from=web"))
        .map(|i| tokens(&i.args).last().map(|d| d.to_string()).unwrap_or_default())
        .next();
    let mut env = env;
    match (web_copy, env.get("GANTRY_WEB_DIR").cloned()) {
        (Some(dest), Some(dir)) if dest.trim_end_matches('/') == dir.trim_end_matches('/') => {
            // The folder exists in the image, not here: validate the rest with one that exists.
            env.insert(
                "GANTRY_WEB_DIR".into(),
                std::env::temp_dir().display().to_string(),
            );
        }
        (copied, dir) => p.push(format!(
            "{DOCKERFILE}: the runtime copies the web export to {copied:?} but GANTRY_WEB_DIR is {dir:?}"
        )),
    }
    if let Some(config) = check_api_env(infra, &env, DOCKERFILE, &mut p) {
        let port = config.server.listen.port();
        let exposed: Vec<u16> = runtime
            .iter()
            .filter(|i| i.op == "EXPOSE")
            .flat_map(|i| {
                i.args
                    .split_whitespace()
                    .filter_map(|t| t.split('/').next()?.parse().ok())
                    .collect::<Vec<_>>()
            })
            .collect();
        if !exposed.contains(&port) {
            p.push(format!(
                "{DOCKERFILE}: EXPOSE {exposed:?} does not include the GANTRY_LISTEN port {port}"
            ));
        }
        if config.server.listen.ip().is_loopback() {
            p.push(format!(
                "{DOCKERFILE}: GANTRY_LISTEN {} is loopback: unreachable from outside",
                config.server.listen
            ));
        }
    }
    match op("HEALTHCHECK") {
        None => p.push(format!("{DOCKERFILE}: no HEALTHCHECK")),
        Some(h) => {
            if !h.args.contains("/healthz") {
                p.push(format!("{DOCKERFILE}: the HEALTHCHECK does not request /healthz"));
            }
            if h.args.contains("curl") && !installs(runtime, "curl") {
                p.push(format!(
                    "{DOCKERFILE}: the HEALTHCHECK uses curl, which the runtime stage does not install"
                ));
            }
        }
    }
    p
}

fn check_dockerignore(infra: &Infra) -> Vec<String> {
    let entries: BTreeSet<String> = infra
        .text(DOCKERIGNORE)
        .unwrap_or("")
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches("**/")
                .trim_start_matches('/')
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    ["target", "data", "node_modules", ".git", "web/.next"]
        .iter()
        .filter(|e| !entries.contains(**e))
        .map(|e| format!("{DOCKERIGNORE} does not exclude {e}"))
        .collect()
}

fn all_problems(infra: &Infra) -> Vec<String> {
    let mut p = check_yaml_parses(infra);
    p.extend(check_compose(infra));
    p.extend(check_k8s(infra));
    p.extend(check_dockerfile(infra));
    p.extend(check_dockerignore(infra));
    p
}

fn assert_clean(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn every_yaml_file_parses() {
    assert_clean(check_yaml_parses(&Infra::load()));
}

#[test]
fn compose_is_consistent_and_gantry_accepts_its_api_environment() {
    assert_clean(check_compose(&Infra::load()));
}

#[test]
fn kubernetes_manifests_are_consistent_and_gantry_accepts_their_api_environment() {
    assert_clean(check_k8s(&Infra::load()));
}

#[test]
fn dockerfile_builds_gantry_cache_friendly_and_runs_it_unprivileged() {
    assert_clean(check_dockerfile(&Infra::load()));
}

#[test]
fn dockerignore_keeps_the_build_context_small() {
    assert_clean(check_dockerignore(&Infra::load()));
}

#[test]
fn readme_explains_compose_kubectl_and_what_is_not_validated() {
    let infra = Infra::load();
    let readme = infra.text(README).expect("infrastructure/README.md");
    for needle in [
        "docker compose",
        "kubectl apply -k",
        "api/tests/infrastructure.rs",
        "not",
    ] {
        assert!(readme.contains(needle), "{README} does not mention {needle:?}");
    }
}

#[test]
fn config_keys_come_from_the_config_source() {
    let keys = config_keys(include_str!("../src/config.rs"));
    for k in [
        "GANTRY_LISTEN",
        "GANTRY_S3_BUCKET",
        "MONGODB_URL",
        "GANTRY_MAX_BODY_BYTES",
        "GANTRY_CONFIG",
    ] {
        assert!(keys.contains(k), "{k} missing from {keys:?}");
    }
    assert!(!keys.contains("GANTRY_S3_BUKET"));
    assert!(!keys.contains("listen"));
    // Formatting of the table does not matter.
    let reformatted = "const KEYS: &[(&str, &str)] = &[\n    (\n        \"GANTRY_LISTEN\",\n        \"listen\",\n    ),\n];";
    assert_eq!(
        config_keys(reformatted),
        BTreeSet::from(["GANTRY_LISTEN".to_string(), "GANTRY_CONFIG".to_string()])
    );
}

/// Each mistake, made in memory in the real files, is reported with a message containing `expect`.
#[test]
fn the_checks_catch_typical_mistakes() {
    let infra = Infra::load();
    assert_clean(all_problems(&infra));
    let compose = COMPOSE;
    let dockerfile = DOCKERFILE;
    let configmap = "infrastructure/k8s/configmap.yaml";
    let secret = "infrastructure/k8s/secret.example.yaml";
    let api = "infrastructure/k8s/api.yaml";
    let postgres = "infrastructure/k8s/postgres.yaml";
    let redis = "infrastructure/k8s/redis.yaml";
    let minio = "infrastructure/k8s/minio.yaml";
    let web_conf = "infrastructure/docker/web.nginx.conf";
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str)] = &[
        // (file, text, replaced by, expected in a problem)
        (compose, "GANTRY_S3_BUCKET: gantry-models", "GANTRY_S3_BUKET: gantry-models", "GANTRY_S3_BUKET"),
        (compose, "GANTRY_LOG_FORMAT: json", "GANTRY_LOG_FORMAT: yaml", "GANTRY_LOG_FORMAT"),
        (compose, "DATABASE_URL: postgres://", "DATABASE_URI: postgres://", "DATABASE_URI"),
        (compose, "\"127.0.0.1:8081:8080\"", "\"127.0.0.1:8081:8081\"", "publishes"),
        (web_conf, "client_max_body_size 100m", "client_max_body_size 10m", "upload limit"),
        (compose, "GANTRY_TRUSTED_PROXIES: 172.28.0.10/32", "GANTRY_TRUSTED_PROXIES: 172.28.0.11/32", "web's fixed address"),
        (web_conf, "proxy_pass http://api:8080", "proxy_pass http://api:80", "proxy_pass"),
        (api, "proxy-body-size: 100m", "proxy-body-size: 1m", "proxy-body-size"),
        (api, "          - path: /graphql\n            pathType: Prefix\n            backend:\n              service:\n                name: gantry-api", "          - path: /graphql\n            pathType: Prefix\n            backend:\n              service:\n                name: gantry-web", "/graphql goes to"),
        (configmap, "GANTRY_TRUSTED_PROXIES: \"10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fd00::/8\"", "GANTRY_TRUSTED_PROXIES: \"\"", "GANTRY_TRUSTED_PROXIES"),
        (secret, "MONGO_INITDB_ROOT_PASSWORD: CHANGE-ME-mongo-password", "MONGO_INITDB_ROOT_PASSWORD: other", "MONGO_INITDB_ROOT_PASSWORD"),
        (compose, "GANTRY_LISTEN: \"0.0.0.0:8080\"", "GANTRY_LISTEN: \"0.0.0.0:9090\"", "9090"),
        (compose, "      redis:\n        condition", "      cache:\n        condition", "unknown service cache"),
        (compose, "gantry-dev-password@postgres", "wrong-password@postgres", "POSTGRES_PASSWORD"),
        (compose, "redis://redis:6379/0", "redis://redis:6380/0", "6380"),
        (compose, "- redis-data:/data", "- redis-dat:/data", "redis-dat"),
        (compose, "test: [\"CMD\", \"redis-cli\", \"ping\"]", "test: [\"NONE\"]", "redis has no healthcheck"),
        (compose, "mb --ignore-existing local/gantry-models", "mb --ignore-existing local/models", "bucket"),
        (configmap, "GANTRY_LISTEN: \"0.0.0.0:8080\"", "GANTRY_LISTEN: \"0.0.0.0:9090\"", "9090"),
        (configmap, "GANTRY_GRAPHQL_MAX_DEPTH: \"12\"", "GANTRY_GRAPHQL_MAX_DEPTH: 12", "must be a string"),
        (configmap, "GANTRY_OBJECT_STORE: s3", "GANTRY_OBJECT_STORE: S3", "GANTRY_OBJECT_STORE"),
        (configmap, "GANTRY_LOG_FORMAT: json", "GANTRY_LOG_FORMT: json", "GANTRY_LOG_FORMT"),
        (configmap, "GANTRY_S3_ENDPOINT: http://minio:9000", "GANTRY_S3_ENDPOINT: http://minio:9999", "9999"),
        (secret, "@postgres:5432/gantry", "@postgresql-db:5432/gantry", "postgresql-db"),
        (secret, "POSTGRES_PASSWORD: CHANGE-ME-postgres-password", "POSTGRES_PASSWORD: other", "POSTGRES_PASSWORD"),
        (secret, "MINIO_ROOT_USER: gantry", "MINIO_ROOT_USER: admin", "MINIO_ROOT_USER"),
        (api, "targetPort: http", "targetPort: web", "targetPort"),
        (api, "path: /healthz", "path: /health", "/healthz"),
        (api, "containerPort: 8080", "containerPort: 8081", "8080"),
        (api, "name: gantry-config", "name: gantry-conf", "gantry-conf"),
        (api, "runAsUser: 10001", "runAsUser: 10002", "runAsUser"),
        (api, "args: [\"migrate\"]", "args: [\"migrat\"]", "gantry migrate"),
        (api, "replicas: 2", "replicas: 1", "replica"),
        (api, "              cpu: 250m\n", "", "resources.requests.cpu"),
        (api, "              name: http\n", "              name: web\n", "Service gantry-api has no port"),
        (postgres, "serviceName: postgres", "serviceName: pg", "\"pg\""),
        (postgres, "- name: data\n              mountPath", "- name: pgdata\n              mountPath", "pgdata"),
        (redis, "matchLabels:\n      app.kubernetes.io/name: redis", "matchLabels:\n      app.kubernetes.io/name: cache", "selector"),
        (minio, "key: GANTRY_S3_BUCKET", "key: GANTRY_BUCKET", "GANTRY_BUCKET"),
        (minio, "name: gantry-minio", "name: minio-credentials", "minio-credentials"),
        (KUSTOMIZATION, "  - redis.yaml\n", "", "redis.yaml is not listed"),
        (KUSTOMIZATION, "  - mongo.yaml\n", "  - mongodb.yaml\n", "mongodb.yaml does not exist"),
        (dockerfile, "EXPOSE 8080", "EXPOSE 8000", "EXPOSE"),
        (dockerfile, "cmake libclang-dev", "cmake libclang", "libclang-dev"),
        (dockerfile, "ENTRYPOINT [\"gantry\"]", "ENTRYPOINT [\"/bin/sh\"]", "ENTRYPOINT"),
        (dockerfile, "for crate in engine/protocol engine/domain engine/app engine solver actors api agent benches", "for crate in engine/protocol engine/domain engine/app engine solver api agent benches", "stub crates"),
        (dockerfile, "find engine solver actors api agent benches -type f -exec touch {} +;", "", "touched"),
        (dockerfile, "GANTRY_LISTEN=0.0.0.0:8080", "GANTRY_LISTEN=127.0.0.1:8080", "loopback"),
        (dockerfile, "COPY --from=web /web/out /usr/share/gantry/web", "COPY --from=web /web/out /srv/web", "GANTRY_WEB_DIR is"),
        (dockerfile, "RUN npm ci --no-audit --no-fund", "RUN npm install", "npm ci"),
        (dockerfile, "FROM node:22-bookworm-slim AS web", "FROM node:18-bookworm-slim AS web", "node:22"),
        (dockerfile, "USER 10001:10001", "USER root", "non-root"),
        (dockerfile, "--release --locked -p gantry-api;", "--release -p gantry-api;", "--locked"),
        (DOCKERIGNORE, "\n.git\n", "\n", ".git"),
    ];
    for (file, from, to, expect) in cases {
        let problems = all_problems(&infra.mutated(file, from, to));
        assert!(
            problems.iter().any(|p| p.contains(expect)),
            "replacing {from:?} by {to:?} in {file} was not reported as {expect:?}; problems: {problems:#?}"
        );
    }
}
