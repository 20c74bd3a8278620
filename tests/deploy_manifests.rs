//! deploy/ stays consistent with the binary it ships. No Docker engine or cluster is needed:
//! every YAML file is parsed, the Dockerfile is read as text, and each `b24bridge`
//! invocation found in them is checked against the binary's own `--help`. Ports, probe
//! paths, the native-sidecar shape and the shutdown budget are checked across files, and
//! the configuration files the image and the ConfigMap carry must pass `b24bridge check`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use b24bridge::config::{self, Config, RawConfig};

const PORT: u16 = 8080;
const BINARY: &str = "/usr/local/bin/b24bridge";
const IMAGE_CONFIG: &str = "/etc/b24bridge/b24bridge.toml";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every document of a YAML file, as JSON values.
fn yaml_documents(path: &Path) -> Vec<Value> {
    let text = read(path);
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
        })
        .filter(|doc| !doc.is_null())
        .collect()
}

fn yaml(path: &str) -> Value {
    let mut docs = yaml_documents(&repo().join(path));
    assert_eq!(docs.len(), 1, "{path}: one document expected");
    docs.remove(0)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("a list of strings expected, got {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

/// `b24bridge SUBCOMMAND --help`, or None when the binary has no such subcommand.
fn subcommand_help(subcommand: &str) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_b24bridge"))
        .args([subcommand, "--help"])
        .output()
        .expect("binary runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `args` (what follows the binary) names an existing subcommand and only flags it lists.
fn assert_invocation(args: &[String], origin: &str) {
    let subcommand = args
        .first()
        .unwrap_or_else(|| panic!("{origin}: no subcommand in {args:?}"));
    assert!(
        !subcommand.starts_with('-'),
        "{origin}: {args:?} starts with a flag, not a subcommand"
    );
    let help = subcommand_help(subcommand).unwrap_or_else(|| {
        panic!("{origin}: `b24bridge {subcommand}` is not a subcommand of the binary")
    });
    for arg in &args[1..] {
        if let Some(flag) = arg.strip_prefix("--") {
            let name = flag.split('=').next().unwrap();
            assert!(
                help.contains(&format!("--{name}")),
                "{origin}: `b24bridge {subcommand}` has no --{name}:\n{help}"
            );
        } else if arg.len() == 2 && arg.starts_with('-') {
            assert!(
                help.contains(&format!("{arg},")),
                "{origin}: `b24bridge {subcommand}` has no {arg}:\n{help}"
            );
        }
    }
}

/// The value following `flag` in an invocation.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// A configuration file loaded as `serve` would, with `upstream` supplied when it is left
/// to the environment; the process environment is ignored.
fn load_config(path: &Path) -> Config {
    let mut raw: RawConfig = config::load_raw_from(
        Some(path),
        figment::providers::Env::prefixed("B24BRIDGE_DEPLOY_TEST_UNSET_"),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    raw.upstream
        .get_or_insert_with(|| "https://portal.example.com".into());
    Config::validate(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `b24bridge check --config PATH` with B24BRIDGE_UPSTREAM set, as the deployments run it.
fn assert_check_passes(path: &Path) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_b24bridge"));
    for (key, _) in std::env::vars() {
        if key.starts_with("B24BRIDGE_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .args(["check", "--config", path.to_str().unwrap()])
        .env("B24BRIDGE_UPSTREAM", "https://portal.example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`b24bridge check --config {}` failed:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Dockerfile as (INSTRUCTION, arguments) with continuation lines joined.
fn dockerfile() -> Vec<(String, String)> {
    let text = read(&repo().join("deploy/Dockerfile"));
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (keyword, rest) = current.split_once(' ').unwrap_or((&current, ""));
                instructions.push((keyword.to_ascii_uppercase(), rest.trim().to_owned()));
                current.clear();
            }
        }
    }
    instructions
}

fn instruction_args<'a>(instructions: &'a [(String, String)], keyword: &str) -> Vec<&'a str> {
    instructions
        .iter()
        .filter(|(k, _)| k == keyword)
        .map(|(_, rest)| rest.as_str())
        .collect()
}

fn exec_form(text: &str, origin: &str) -> Vec<String> {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{origin}: not exec form (a JSON list): {text}: {e}"))
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

fn duration(text: &str) -> Duration {
    humantime::parse_duration(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn every_yaml_file_under_deploy_parses() {
    let mut files = Vec::new();
    yaml_files(&repo().join("deploy"), &mut files);
    assert!(
        files.len() >= 6,
        "expected compose and Kubernetes files: {files:?}"
    );
    for file in files {
        assert!(
            !yaml_documents(&file).is_empty(),
            "{} has no document",
            file.display()
        );
    }
}

#[test]
fn the_dockerfile_builds_the_static_binary_and_runs_it_as_non_root() {
    let instructions = dockerfile();
    let from = instruction_args(&instructions, "FROM");
    assert_eq!(
        from,
        [
            "rust:1.95-bookworm AS build",
            "gcr.io/distroless/static-debian12:nonroot"
        ]
    );
    let run = instruction_args(&instructions, "RUN").join("\n");
    for needed in [
        "musl-tools",
        "rustup target add x86_64-unknown-linux-musl",
        "cargo build --release --locked --target x86_64-unknown-linux-musl",
    ] {
        assert!(run.contains(needed), "no `{needed}` in RUN: {run}");
    }
    // The same build as scripts/build-static, which CI runs and smoke-tests.
    let script = read(&repo().join("scripts/build-static"));
    assert!(script.contains("TARGET=x86_64-unknown-linux-musl"));
    assert!(script.contains("cargo build --release --locked --target \"$TARGET\""));

    let copies = instruction_args(&instructions, "COPY");
    assert!(
        copies.contains(&"--from=build /out/b24bridge /usr/local/bin/b24bridge"),
        "{copies:?}"
    );
    let config_copy = format!("deploy/b24bridge.toml {IMAGE_CONFIG}");
    assert!(copies.contains(&config_copy.as_str()), "{copies:?}");
    assert!(repo().join("deploy/b24bridge.toml").is_file());

    assert_eq!(instruction_args(&instructions, "USER"), ["65532:65532"]);
    assert_eq!(
        instruction_args(&instructions, "EXPOSE"),
        [PORT.to_string()]
    );
    let entrypoint = instruction_args(&instructions, "ENTRYPOINT");
    assert_eq!(entrypoint.len(), 1);
    assert_eq!(exec_form(entrypoint[0], "ENTRYPOINT"), [BINARY]);

    let cmd = instruction_args(&instructions, "CMD");
    assert_eq!(cmd.len(), 1);
    let cmd = exec_form(cmd[0], "CMD");
    assert_invocation(&cmd, "Dockerfile CMD");
    assert_eq!(cmd[0], "serve");
    assert_eq!(flag_value(&cmd, "--config"), Some(IMAGE_CONFIG));

    let healthcheck = instruction_args(&instructions, "HEALTHCHECK");
    assert_eq!(healthcheck.len(), 1);
    let (_, probe) = healthcheck[0]
        .split_once("CMD ")
        .expect("HEALTHCHECK ... CMD [...]");
    let probe = exec_form(probe, "HEALTHCHECK");
    assert_eq!(probe[0], BINARY, "exec form: distroless has no shell");
    assert_invocation(&probe[1..], "Dockerfile HEALTHCHECK");
    assert_eq!(probe[1], "healthcheck");
    assert_eq!(flag_value(&probe, "--config"), Some(IMAGE_CONFIG));

    let dockerignore = read(&repo().join(".dockerignore"));
    for ignored in ["target", ".git"] {
        assert!(
            dockerignore.lines().any(|l| l.trim() == ignored),
            ".dockerignore lacks {ignored}"
        );
    }
}

#[test]
fn the_image_configuration_listens_on_8080_and_passes_check() {
    let path = repo().join("deploy/b24bridge.toml");
    assert_check_passes(&path);
    let config = load_config(&path);
    assert_eq!(config.listen.port(), PORT);
    assert!(
        config.listen.ip().is_unspecified(),
        "the image must listen on all interfaces"
    );
}

#[test]
fn compose_runs_the_integration_in_the_bridge_network_namespace() {
    let compose = yaml("deploy/compose.yaml");
    let services = &compose["services"];
    let bridge = &services["b24bridge"];
    assert_eq!(bridge["build"]["dockerfile"], "deploy/Dockerfile");
    let context = repo()
        .join("deploy")
        .join(bridge["build"]["context"].as_str().unwrap());
    assert!(context.join("deploy/Dockerfile").is_file());
    let image = bridge["image"].as_str().unwrap();

    // Every service running the image: its command goes to the b24bridge entrypoint.
    for (name, service) in services.as_object().unwrap() {
        if service["image"] == image {
            assert!(
                service.get("entrypoint").is_none(),
                "{name}: entrypoint overridden"
            );
            if let Some(command) = service.get("command") {
                assert_invocation(&strings(command), &format!("compose.yaml {name}"));
            }
        }
    }
    let test = strings(&bridge["healthcheck"]["test"]);
    assert_eq!(test[..2], ["CMD", BINARY]);
    assert_invocation(&test[2..], "compose.yaml healthcheck");
    assert_eq!(test[2], "healthcheck");
    if let Some(config) = flag_value(&test, "--config") {
        assert_eq!(config, IMAGE_CONFIG);
    }
    let published = strings(&bridge["ports"]);
    assert!(
        published.iter().all(|p| port_of(p) == PORT),
        "published ports {published:?}"
    );
    assert!(bridge["environment"]["B24BRIDGE_UPSTREAM"]
        .as_str()
        .unwrap()
        .contains("${B24_PORTAL_URL"));
    let image_config = load_config(&repo().join("deploy/b24bridge.toml"));
    let budget = image_config.pre_drain_delay + image_config.drain_timeout;
    let grace = duration(bridge["stop_grace_period"].as_str().unwrap());
    assert!(
        grace > budget,
        "stop_grace_period {grace:?} <= drain budget {budget:?}"
    );

    let integration = &services["integration"];
    assert_eq!(integration["network_mode"], "service:b24bridge");
    assert_eq!(
        integration["depends_on"]["b24bridge"]["condition"],
        "service_healthy"
    );
    let url = integration["environment"]["B24_WEBHOOK_URL"]
        .as_str()
        .unwrap();
    assert!(
        url.starts_with(&format!(
            "http://127.0.0.1:{PORT}/rest/1/${{B24_WEBHOOK_CODE"
        )),
        "{url}"
    );
}

#[test]
fn the_offline_compose_variant_points_the_bridge_at_the_emulator() {
    let base = yaml("deploy/compose.yaml");
    let offline = yaml("deploy/compose.offline.yaml");
    let services = &offline["services"];
    let image = base["services"]["b24bridge"]["image"].as_str().unwrap();
    let portal = &services["portal"];
    assert_eq!(portal["image"], image);
    let command = strings(&portal["command"]);
    assert_invocation(&command, "compose.offline.yaml portal");
    assert_eq!(command[0], "emulate");
    let listen = flag_value(&command, "--listen").expect("emulate --listen");
    assert_eq!(
        services["b24bridge"]["environment"]["B24BRIDGE_UPSTREAM"],
        format!("http://portal:{}", port_of(listen))
    );
    assert_eq!(
        services["integration"]["environment"]["B24_WEBHOOK_URL"],
        format!("http://127.0.0.1:{PORT}/rest/1/hook1/")
    );
}

/// The Kubernetes resources of deploy/kubernetes by kind (one of each).
fn kubernetes() -> BTreeMap<String, Value> {
    let mut files = Vec::new();
    yaml_files(&repo().join("deploy/kubernetes"), &mut files);
    let mut by_kind = BTreeMap::new();
    for file in files {
        for doc in yaml_documents(&file) {
            let kind = doc["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: a document without kind", file.display()))
                .to_owned();
            assert!(
                by_kind.insert(kind.clone(), doc).is_none(),
                "two {kind} documents"
            );
        }
    }
    by_kind
}

#[test]
fn kubernetes_runs_the_bridge_as_a_native_sidecar_with_its_probes() {
    let k8s = kubernetes();
    let pod = &k8s["Deployment"]["spec"]["template"]["spec"];
    let sidecars: Vec<&Value> = pod["initContainers"]
        .as_array()
        .expect("initContainers")
        .iter()
        .filter(|c| c["name"] == "b24bridge")
        .collect();
    assert_eq!(sidecars.len(), 1, "one b24bridge init container");
    let sidecar = sidecars[0];
    assert_eq!(sidecar["restartPolicy"], "Always", "native sidecar");
    for container in pod["containers"].as_array().unwrap() {
        assert!(
            !container["image"].as_str().unwrap().contains("b24bridge"),
            "the bridge belongs in initContainers, not containers"
        );
    }

    // Invocation: the image's entrypoint with these arguments.
    assert!(
        sidecar.get("command").is_none(),
        "keep the image's entrypoint"
    );
    let args = strings(&sidecar["args"]);
    assert_invocation(&args, "deployment.yaml b24bridge args");
    assert_eq!(args[0], "serve");
    let config_path = Path::new(flag_value(&args, "--config").expect("--config"));

    // Ports and probes: the bridge on 8080, metrics and probes on the admin port, which
    // the environment opens to the pod (the default is loopback only).
    let ports = sidecar["ports"].as_array().unwrap();
    let port_named = |name: &str| {
        ports
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["containerPort"].as_u64())
            .unwrap_or_else(|| panic!("no port named {name}")) as u16
    };
    assert_eq!(port_named("bridge"), PORT);
    let admin = port_named("metrics");
    let env = sidecar["env"].as_array().expect("env");
    let admin_listen = env
        .iter()
        .find(|e| e["name"] == "B24BRIDGE_ADMIN__LISTEN")
        .and_then(|e| e["value"].as_str())
        .expect("B24BRIDGE_ADMIN__LISTEN");
    assert_eq!(admin_listen, format!("0.0.0.0:{admin}"));
    let resolve = |port: &Value| match port {
        Value::String(name) => port_named(name),
        other => other.as_u64().unwrap() as u16,
    };
    for (probe, path) in [
        ("startupProbe", "/readyz"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/healthz"),
    ] {
        let get = &sidecar[probe]["httpGet"];
        assert_eq!(get["path"], path, "{probe}");
        assert_eq!(resolve(&get["port"]), admin, "{probe}");
    }

    let security = &sidecar["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(strings(&security["capabilities"]["drop"]), ["ALL"]);
    let resources = &sidecar["resources"];
    assert_eq!(resources["requests"]["cpu"], "50m");
    assert_eq!(resources["requests"]["memory"], "32Mi");
    assert_eq!(resources["limits"]["memory"], "128Mi");

    // The app calls the bridge on loopback.
    let app = serde_json::to_string(&pod["containers"]).unwrap();
    assert!(
        app.contains(&format!("http://127.0.0.1:{PORT}/rest/")),
        "{app}"
    );

    // The configuration file named by --config is the ConfigMap's, mounted as a directory.
    let mount = sidecar["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| Path::new(m["mountPath"].as_str().unwrap()) == config_path.parent().unwrap())
        .expect("a volume mounted where --config points");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    let sources = volume["projected"]["sources"].as_array().unwrap();
    let configmap_name = &k8s["ConfigMap"]["metadata"]["name"];
    assert!(sources
        .iter()
        .any(|s| &s["configMap"]["name"] == configmap_name));
    let file_name = config_path.file_name().unwrap().to_str().unwrap();
    assert!(k8s["ConfigMap"]["data"][file_name].is_string());
    // The TLS secret is optional in the volume, so the example runs without it.
    let secret_name = &k8s["Secret"]["metadata"]["name"];
    let secret_source = sources
        .iter()
        .find(|s| &s["secret"]["name"] == secret_name)
        .expect("the TLS secret in the projected volume");
    assert_eq!(secret_source["secret"]["optional"], true);
}

#[test]
fn the_configmap_passes_check_and_its_shutdown_fits_the_grace_period() {
    let k8s = kubernetes();
    let toml = k8s["ConfigMap"]["data"]["b24bridge.toml"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b24bridge.toml");
    std::fs::write(&path, toml).unwrap();
    assert_check_passes(&path);
    let config = load_config(&path);
    assert_eq!(config.listen.port(), PORT);
    assert!(
        config.listen.ip().is_unspecified(),
        "the kubelet probes the pod address"
    );
    assert_eq!(config.pre_drain_delay, Duration::from_secs(5));
    assert_eq!(config.drain_timeout, Duration::from_secs(20));
    let grace = k8s["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        .as_u64()
        .unwrap();
    assert_eq!(grace, 30);
    assert!(
        config.pre_drain_delay + config.drain_timeout < Duration::from_secs(grace),
        "pre_drain_delay + drain_timeout must end before SIGKILL"
    );
    // Rules are not implemented on this branch; the example stays commented out.
    assert!(toml.contains("# [methods.\"tasks.task.get\"]"));
}

#[test]
fn the_tls_secret_is_a_marked_placeholder_and_kustomize_lists_existing_files() {
    let k8s = kubernetes();
    let secret = &k8s["Secret"];
    assert_eq!(secret["type"], "kubernetes.io/tls");
    for key in ["tls.crt", "tls.key"] {
        let value = secret["stringData"][key].as_str().unwrap();
        assert!(
            value.contains("PLACEHOLDER"),
            "{key} must be marked as a placeholder"
        );
    }

    let kustomization = &k8s["Kustomization"];
    for resource in strings(&kustomization["resources"]) {
        assert!(
            repo().join("deploy/kubernetes").join(&resource).is_file(),
            "kustomization lists missing {resource}"
        );
    }
    let sidecar_image = k8s["Deployment"]["spec"]["template"]["spec"]["initContainers"][0]["image"]
        .as_str()
        .unwrap();
    let image_name = sidecar_image
        .rsplit_once(':')
        .map_or(sidecar_image, |(n, _)| n);
    assert!(
        kustomization["images"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == image_name),
        "kustomization images must name {image_name}"
    );
}
