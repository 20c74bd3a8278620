//! `b24bridge check`: what a configuration would run, and how its rules compare with what a
//! portal offers.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::error::BridgeError;
use crate::rules::MethodRoute;
use crate::schema::{self, Finding, PortalSchema, Severity};
use crate::upstream::{Credentials, UpstreamClient};

/// A readable summary of a validated configuration: listener, portal, TLS, timeouts,
/// limits, logging, and the route of every method that has a rule.
pub fn describe(config: &Config, file: Option<&Path>) -> String {
    let upstream = format!("{}://{}", config.upstream.scheme, config.upstream.authority);
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let duration = |d| humantime::format_duration(d).to_string();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "config file:      {}",
        file.map(|f| f.display().to_string())
            .unwrap_or_else(|| "(none, defaults and environment)".into())
    );
    let _ = writeln!(out, "listen:           {scheme}://{}", config.listen);
    let _ = writeln!(out, "upstream portal:  {upstream}");
    if let Some(tls) = &config.tls {
        let _ = writeln!(
            out,
            "tls:              cert {} key {}",
            tls.cert.display(),
            tls.key.display()
        );
    }
    if let Some(ca) = &config.ca_file {
        let _ = writeln!(out, "extra CA:         {}", ca.display());
    }
    let _ = writeln!(
        out,
        "timeouts:         connect {}, response {}, pool idle {}, header read {}, client idle {}",
        duration(config.connect_timeout),
        duration(config.response_timeout),
        duration(config.pool_idle_timeout),
        duration(config.header_read_timeout),
        duration(config.idle_timeout),
    );
    let _ = writeln!(
        out,
        "shutdown:         pre-drain delay {}, drain {}",
        duration(config.pre_drain_delay),
        duration(config.drain_timeout),
    );
    let _ = writeln!(
        out,
        "limits:           body {} bytes, {} variables, depth {}",
        config.limits.max_body_bytes, config.limits.max_vars, config.limits.max_depth
    );
    let _ = writeln!(
        out,
        "log:              {:?} at {}",
        config.log_format, config.log_level
    );
    out.push_str("routes:           methods without a rule pass through to the portal\n");
    for name in config.rules.method_names() {
        let route = match config.rules.route(name) {
            Some(MethodRoute::V3(rule)) => {
                format!("v3 via {} (fallback {:?})", rule.v3_method, rule.fallback).to_lowercase()
            }
            Some(MethodRoute::V2) => "v2 (pass through)".into(),
            Some(MethodRoute::Deny) => "deny".into(),
            Some(MethodRoute::Shadow(rule)) => format!(
                "shadow: v2 answers, reads compared with {} (share {}, at most {} requests/s)",
                rule.v3_method, rule.shadow_share, rule.shadow_rate
            ),
            None => continue,
        };
        let _ = writeln!(out, "                  {name}: {route}");
    }
    out
}

/// What asking a portal about the rules found.
pub struct PortalReport {
    pub schema: PortalSchema,
    pub findings: Vec<Finding>,
}

impl PortalReport {
    /// True when a rule relies on something the portal does not offer.
    pub fn has_problems(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Problem)
    }

    /// The report as `check --portal` prints it.
    pub fn text(&self) -> String {
        let mut out = format!(
            "portal: {} REST 3.0 methods, field lists for {} entities\n",
            self.schema.methods.len(),
            self.schema.fields.len()
        );
        for f in &self.findings {
            let tag = match f.severity {
                Severity::Problem => "problem",
                Severity::Note => "note",
            };
            let _ = writeln!(out, "  {tag}: {}: {}", f.key, f.message);
        }
        out.push_str(if self.has_problems() {
            "the rules rely on things this portal does not offer\n"
        } else {
            "the rules match the portal\n"
        });
        out
    }
}

/// Asks the portal, through `webhook`, which REST 3.0 methods and field attributes it
/// offers, and compares the configuration's rules with them.
pub async fn against_portal(
    config: &Config,
    client: &UpstreamClient,
    webhook: &Credentials,
) -> Result<PortalReport, BridgeError> {
    let schema = schema::fetch(client, webhook, &config.rules).await?;
    let findings = schema::compare(&config.rules, &schema);
    Ok(PortalReport { schema, findings })
}
