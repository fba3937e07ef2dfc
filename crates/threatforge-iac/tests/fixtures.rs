//! The realistic fixtures (a Compose app, a Kubernetes platform, a Terraform AWS plan): the draft
//! each gives, that the draft loads without errors, that it has no drift against its own code,
//! and the drift after a change on each side.

use std::path::{Path, PathBuf};

use threatforge_iac::{
    DriftFormat, Inventory, ScanOptions, draft_model, drift, render_drift, scan,
};
use threatforge_model::{LoadOptions, Loaded, load_str};

const FIXTURES: &[&str] = &[
    "tests/fixtures/compose-shop",
    "tests/fixtures/k8s-platform",
    "tests/fixtures/terraform-aws/plan.json",
    "tests/fixtures/terraform-hcl",
    "tests/fixtures/terraform-azure",
    "tests/fixtures/terraform-gcp",
    "tests/fixtures/terraform-modules",
];

fn inventory(paths: &[PathBuf]) -> Inventory {
    scan(paths, &ScanOptions::default()).expect("the fixture reads")
}

fn draft(path: &str) -> String {
    draft_model(&inventory(&[PathBuf::from(path)]), &[path.to_owned()])
}

fn load(text: &str) -> Loaded {
    load_str(
        "threatforge.yaml",
        text,
        Path::new("."),
        &LoadOptions::default(),
    )
}

fn codes(loaded: &Loaded) -> Vec<&'static str> {
    loaded.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn each_fixture_drafts_a_model_that_loads_without_errors() {
    for (path, warnings) in FIXTURES.iter().zip([
        &[][..],
        &[][..],
        // The alarm topic's only flow is from a CloudWatch alarm, which is not modeled.
        &["isolated-component"][..],
        &[][..],
        // The jump box is reached from the operators' office only, which the code does not name.
        &["isolated-component"][..],
        &[][..],
        &[][..],
    ]) {
        let text = draft(path);
        let loaded = load(&text);
        assert_eq!(codes(&loaded), warnings, "{path}:\n{text}");
        let name = Path::new(path)
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or(path);
        insta::assert_snapshot!(format!("draft_{name}"), text);
    }
}

#[test]
fn a_draft_has_no_drift_against_the_code_it_came_from() {
    for path in FIXTURES {
        let inventory = inventory(&[PathBuf::from(path)]);
        let loaded = load(&draft_model(&inventory, &[(*path).to_owned()]));
        let drift = drift(&loaded.model, &inventory);
        assert_eq!(drift.items, [], "{path}");
    }
}

/// A copy of a fixture in a temporary directory with each `(from, to)` replaced once.
fn changed(fixture: &str, file: &str, edits: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = Path::new(fixture);
    let entries: Vec<PathBuf> = if source.is_dir() {
        std::fs::read_dir(source)
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .collect()
    } else {
        vec![source.to_path_buf()]
    };
    for entry in entries {
        let name = entry.file_name().expect("a name");
        let mut text = std::fs::read_to_string(&entry).expect("fixture");
        if name == file {
            for (from, to) in edits {
                assert!(text.contains(from), "`{from}` is in {file}");
                text = text.replacen(from, to, 1);
            }
        }
        std::fs::write(dir.path().join(name), text).expect("copy");
    }
    let path = if source.is_dir() {
        dir.path().to_path_buf()
    } else {
        dir.path().join(file)
    };
    (dir, path)
}

/// The drift of the fixture's own draft against changed code, files named from `<changed>`.
fn infrastructure_drift(fixture: &str, file: &str, edits: &[(&str, &str)]) -> String {
    let model = load(&draft(fixture));
    let (dir, path) = changed(fixture, file, edits);
    let inventory = inventory(&[path]);
    let text = render_drift(&drift(&model.model, &inventory), DriftFormat::Human);
    text.replace(&dir.path().display().to_string(), "<changed>")
}

#[test]
fn compose_drift_after_the_code_changed() {
    insta::assert_snapshot!(infrastructure_drift(
        "tests/fixtures/compose-shop",
        "docker-compose.yml",
        &[
            // The database is published to every interface, and runs as root.
            (
                "      - \"127.0.0.1:5432:5432\"",
                "      - \"5432:5432\"\n    user: root"
            ),
            // A new service, calling the database.
            (
                "  mail:\n",
                "  search:\n    image: opensearchproject/opensearch:2.15.0\n    environment:\n      DB: postgres://db:5432/shop\n    networks: [backend]\n\n  mail:\n",
            ),
            // The mail service is gone.
            (
                "  mail:\n    image: mailhog/mailhog:v1.0.1\n    networks: [backend]\n",
                ""
            ),
        ],
    ));
}

#[test]
fn kubernetes_drift_after_the_code_changed() {
    insta::assert_snapshot!(infrastructure_drift(
        "tests/fixtures/k8s-platform",
        "shop.yaml",
        &[
            // payments is published through a load balancer.
            (
                "metadata: { name: payments, namespace: shop }\nspec:\n  selector",
                "metadata: { name: payments, namespace: shop }\nspec:\n  type: LoadBalancer\n  selector",
            ),
            // checkout's container now runs privileged.
            (
                "            readOnlyRootFilesystem: true\n            allowPrivilegeEscalation: false\n            capabilities",
                "            privileged: true\n            capabilities",
            ),
            // the catalog now calls the sessions cache.
            (
                "              value: http://search.data:9200",
                "              value: http://search.data:9200\n            - name: CACHE\n              value: sessions"
            ),
            // the storefront's ConfigMap now names the search service.
            (
                "  FEATURE_FLAGS: new-cart,saved-lists",
                "  FEATURE_FLAGS: new-cart,saved-lists\n  SEARCH_URL: http://search.data:9200",
            ),
        ],
    ));
}

/// NetworkPolicies as gates, both sides changed: the code stops letting the storefront into the
/// API pods and holds checkout's egress to payments, its database and DNS; the model adds a flow
/// into payments, whose policy lets only checkout in.
#[test]
fn kubernetes_network_policies_deny_flows_the_model_declares() {
    let fixture = "tests/fixtures/k8s-platform";
    let mut text = draft(fixture);
    let (from, to) = (
        "  - checkout -> payments: { protocol: https }\n",
        "  - checkout -> payments: { protocol: https }\n  - catalog -> payments: { protocol: https }\n",
    );
    assert!(text.contains(from), "`{from}` is in the draft");
    text = text.replacen(from, to, 1);
    let loaded = load(&text);
    assert!(!loaded.has_errors(), "{:?}", codes(&loaded));
    let (dir, path) = changed(
        fixture,
        "shop.yaml",
        &[
            (
                "        - podSelector: { matchLabels: { app: storefront } }",
                "        - podSelector: { matchLabels: { app: admin } }",
            ),
            (
                "metadata: { name: payments-from-checkout, namespace: shop }",
                "metadata: { name: checkout-egress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: checkout } }
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector: { matchLabels: { app: payments } }
    - to:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: data } }
          podSelector: { matchLabels: { app: orders-db } }
    - to:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: kube-system } }
          podSelector: { matchLabels: { k8s-app: kube-dns } }
      ports: [{ port: 53, protocol: UDP }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: payments-from-checkout, namespace: shop }",
            ),
        ],
    );
    let inventory = inventory(&[path]);
    let report = render_drift(&drift(&loaded.model, &inventory), DriftFormat::Human)
        .replace(&dir.path().display().to_string(), "<changed>");
    for kind in [
        "disallowed-flow: the model has `storefront -> checkout`, but NetworkPolicy shop/default-deny, shop/api-from-storefront lets nothing of `storefront` in",
        "disallowed-flow: the model has `storefront -> catalog`",
        "disallowed-flow: the model has `catalog -> payments`, but NetworkPolicy shop/default-deny, shop/payments-from-checkout lets nothing of `catalog` in",
        "disallowed-flow: the model has `checkout -> sessions`, but NetworkPolicy shop/checkout-egress lets `checkout` reach nothing of `sessions`",
    ] {
        assert!(report.contains(kind), "{kind}:\n{report}");
    }
    // The routes from the Ingress are not judged: its controller's pods are not in the manifests.
    assert!(!report.contains("shop-ingress ->"), "{report}");
    insta::assert_snapshot!(report);
}

#[test]
fn terraform_drift_after_the_code_changed() {
    insta::assert_snapshot!(infrastructure_drift(
        "tests/fixtures/terraform-aws/plan.json",
        "plan.json",
        &[
            // The orders database loses its encryption and becomes public.
            (
                "\"storage_encrypted\": true,\n            \"publicly_accessible\": false",
                "\"storage_encrypted\": false,\n            \"publicly_accessible\": true"
            ),
            // The exports bucket is renamed in the code: a new address, the old one gone.
            (
                "\"address\": \"aws_s3_bucket.exports\"",
                "\"address\": \"aws_s3_bucket.exports_v2\""
            ),
        ],
    ));
}

/// The drift of the fixture's draft, edited, against the unchanged code.
fn model_drift(fixture: &str, edits: &[(&str, &str)]) -> String {
    let mut text = draft(fixture);
    for (from, to) in edits {
        assert!(text.contains(from), "`{from}` is in the draft");
        text = text.replacen(from, to, 1);
    }
    let loaded = load(&text);
    assert!(!loaded.has_errors(), "{:?}", codes(&loaded));
    let inventory = inventory(&[PathBuf::from(fixture)]);
    render_drift(&drift(&loaded.model, &inventory), DriftFormat::Human)
}

#[test]
fn drift_after_the_model_changed() {
    let compose = model_drift(
        "tests/fixtures/compose-shop",
        &[
            // The team decided the queue is internal, and forgot the worker's flow to it.
            (
                "    exposure: internet\n    iac: [\"compose:queue\"]",
                "    exposure: internal\n    iac: [\"compose:queue\"]",
            ),
            ("  - worker -> queue: { protocol: amqp }\n", ""),
            // A reference to a service that does not exist.
            (
                "    iac: [\"compose:mail\"]",
                "    iac: [\"compose:mail\", \"compose:smtp-relay\"]",
            ),
        ],
    );
    let kubernetes = model_drift(
        "tests/fixtures/k8s-platform",
        &[
            // The model claims hardening and a policy on the search engine, which runs privileged
            // with no policy; and forgot the storefront.
            (
                "    technology: search-engine\n    exposure: internal\n",
                "    technology: search-engine\n    exposure: internal\n    controls: [container-hardening, network-policy]\n",
            ),
            (
                "    iac: [\"k8s:shop/Deployment/storefront\"]",
                "    iac: [\"k8s:shop/Deployment/storefront-v1\"]",
            ),
        ],
    );
    let terraform = model_drift(
        "tests/fixtures/terraform-aws/plan.json",
        // A reference to a module's resource that is not in the plan (a Compose or Kubernetes
        // reference would not be dangling: those sources were not read).
        &[(
            "    iac: [\"module.alerts.aws_sns_topic.alerts\"]",
            "    iac: [\"module.alerts.aws_sns_topic.alerts\", \"module.alerts.aws_sns_topic.pager\", \"k8s:ops/Deployment/pager\"]",
        )],
    );
    insta::assert_snapshot!(format!("{compose}\n{kubernetes}\n{terraform}"));
}

/// A plan of 2,000 resources (subnets, databases, queues, functions referencing both, security
/// groups), in Terraform's compact JSON: read and drafted into a model that loads without errors.
/// BENCHMARKS.md has the time of `init --from` on it.
#[test]
fn a_plan_of_two_thousand_resources_drafts_a_loadable_model() {
    let mut planned = Vec::new();
    let mut configured = Vec::new();
    let refs = |addresses: &[String]| {
        let list: Vec<String> = addresses
            .iter()
            .map(|a| format!("\"{a}.id\", \"{a}\""))
            .collect();
        format!("{{\"references\": [{}]}}", list.join(", "))
    };
    for i in 0..400 {
        let subnet = format!("aws_subnet.s{i}");
        let db = format!("aws_db_instance.db{i}");
        let queue = format!("aws_sqs_queue.q{i}");
        for (address, kind, values, expressions) in [
            (
                subnet.clone(),
                "aws_subnet",
                "{}".to_owned(),
                "{}".to_owned(),
            ),
            (
                db.clone(),
                "aws_db_instance",
                "{\"engine\": \"postgres\", \"storage_encrypted\": true}".to_owned(),
                format!("{{\"subnet_id\": {}}}", refs(std::slice::from_ref(&subnet))),
            ),
            (
                queue.clone(),
                "aws_sqs_queue",
                "{\"sqs_managed_sse_enabled\": true}".to_owned(),
                "{}".to_owned(),
            ),
            (
                format!("aws_lambda_function.f{i}"),
                "aws_lambda_function",
                "{}".to_owned(),
                format!(
                    "{{\"environment\": [{{\"variables\": {}}}], \"vpc_config\": [{{\"subnet_ids\": {}}}]}}",
                    refs(&[db.clone(), queue.clone()]),
                    refs(std::slice::from_ref(&subnet))
                ),
            ),
            (
                format!("aws_security_group.g{i}"),
                "aws_security_group",
                "{}".to_owned(),
                "{}".to_owned(),
            ),
        ] {
            let name = address.split('.').nth(1).unwrap_or_default();
            planned.push(format!("{{\"address\":\"{address}\",\"mode\":\"managed\",\"type\":\"{kind}\",\"name\":\"{name}\",\"values\":{values}}}"));
            configured.push(format!("{{\"address\":\"{address}\",\"mode\":\"managed\",\"type\":\"{kind}\",\"name\":\"{name}\",\"expressions\":{expressions}}}"));
        }
    }
    let plan = format!(
        "{{\"format_version\":\"1.2\",\"planned_values\":{{\"root_module\":{{\"resources\":[{}]}}}},\"configuration\":{{\"root_module\":{{\"resources\":[{}]}}}}}}",
        planned.join(","),
        configured.join(",")
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan).expect("write");
    let inventory = inventory(&[path]);
    assert_eq!(inventory.components.len(), 1_200);
    assert_eq!(inventory.links.len(), 800);
    let loaded = load(&draft_model(&inventory, &["plan.json".to_owned()]));
    assert!(!loaded.has_errors(), "{:?}", codes(&loaded));
}

/// The drift of a fixture's draft with `model_edits` made to it against the fixture's code with
/// `code_edits` (file, from, to), files named from `<changed>`: both sides changed. The report
/// names each of `kinds`.
fn drift_of_both(
    fixture: &str,
    model_edits: &[(&str, &str)],
    code_edits: &[(&str, &str, &str)],
    kinds: &[&str],
) -> String {
    let mut text = draft(fixture);
    for (from, to) in model_edits {
        assert!(text.contains(from), "`{from}` is in the draft");
        text = text.replacen(from, to, 1);
    }
    let loaded = load(&text);
    assert!(!loaded.has_errors(), "{:?}", codes(&loaded));
    let dir = tempfile::tempdir().expect("temp dir");
    changed_tree(Path::new(fixture), dir.path(), code_edits);
    let inventory = inventory(&[dir.path().to_path_buf()]);
    let report = render_drift(&drift(&loaded.model, &inventory), DriftFormat::Human)
        .replace(&dir.path().display().to_string(), "<changed>");
    for kind in kinds {
        assert!(report.contains(kind), "{kind}:\n{report}");
    }
    report
}

/// A recursive copy of a fixture directory, each `(file, from, to)` replaced once.
fn changed_tree(fixture: &Path, to: &Path, edits: &[(&str, &str, &str)]) {
    copy_changed(fixture, fixture, to, edits);
}

/// `changed_tree` below `root`: an edit's file is its path from the root (`modules/db/main.tf`).
fn copy_changed(root: &Path, fixture: &Path, to: &Path, edits: &[(&str, &str, &str)]) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(fixture).expect("fixture dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("a name");
        if path.is_dir() {
            copy_changed(root, &path, &to.join(name), edits);
            continue;
        }
        let relative = path.strip_prefix(root).expect("below the root");
        let mut text = std::fs::read_to_string(&path).expect("fixture");
        for (file, from, replacement) in edits {
            if relative == Path::new(file) {
                assert!(text.contains(from), "`{from}` is in {file}");
                text = text.replacen(from, replacement, 1);
            }
        }
        std::fs::write(to.join(name), text).expect("copy");
    }
}

/// Terraform source, both sides changed: the code opens a service to the internet, serves the
/// public entry in the clear and makes a role an administrator; the model claims least
/// privilege for that role's function, adds a flow the security groups do not let through, and
/// forgets one they do.
#[test]
fn terraform_source_drift_from_security_groups_iam_and_listeners() {
    let report = drift_of_both(
        "tests/fixtures/terraform-hcl",
        &[
            (
                "    technology: serverless-function\n    exposure: internal\n",
                "    technology: serverless-function\n    exposure: internal\n    controls: [least-privilege]\n",
            ),
            (
                "  - notes-thumbnailer -> notes-attachments: { protocol: https }\n",
                "  - notes-thumbnailer -> notes-attachments: { protocol: https }\n  - notes-thumbnailer -> notes-db: { protocol: postgres }\n",
            ),
            ("  - notes-api -> notes-db: { protocol: postgres }\n", ""),
        ],
        &[
            (
                "network.tf",
                "    description     = \"HTTP from the load balancer\"",
                "    description     = \"HTTP from anywhere, for a test\"\n    cidr_blocks     = [\"0.0.0.0/0\"]",
            ),
            (
                "app.tf",
                "  port              = 443\n  protocol          = \"HTTPS\"",
                "  port              = 80\n  protocol          = \"HTTP\"",
            ),
            (
                "iam.tf",
                "resource \"aws_iam_role_policy\" \"thumbnailer\" {",
                "resource \"aws_iam_role_policy_attachment\" \"thumbnailer_admin\" {\n  role       = aws_iam_role.thumbnailer.name\n  policy_arn = \"arn:aws:iam::aws:policy/AdministratorAccess\"\n}\n\nresource \"aws_iam_role_policy\" \"thumbnailer\" {",
            ),
        ],
        &[
            "missing-exposure: component `notes-api`",
            "missing-flow: no flow `notes-api -> notes-db`",
            "contradicted-control: flow `internet-user -> notes-public` is encrypted",
            "contradicted-control: component `notes-thumbnailer` claims control `least-privilege`",
            "disallowed-flow: the model has `notes-thumbnailer -> notes-db`",
        ],
    );
    insta::assert_snapshot!(report);
}

/// Terraform modules, counts and egress, both sides changed: the model adds a flow the workers'
/// egress does not let out and forgets one it does; in the code, a module's database loses its
/// encryption and a `for_each` is emptied (its topic is deployed no more).
#[test]
fn terraform_modules_drift_from_egress_counts_and_module_contents() {
    let report = drift_of_both(
        "tests/fixtures/terraform-modules",
        &[(
            "  - orders-worker -> orders: { protocol: postgres }\n",
            "  - orders-worker -> orders-audit: { protocol: https }\n",
        )],
        &[
            (
                "main.tf",
                "  for_each = toset([\"email\", \"sms\"])",
                "  for_each = {}",
            ),
            (
                "main.tf",
                "  count                  = var.worker_count",
                "  count                  = length(var.azs)",
            ),
            (
                "main.tf",
                "      EMAIL_TOPIC   = aws_sns_topic.notifications[\"email\"].arn\n",
                "",
            ),
            (
                "modules/database/main.tf",
                "  storage_encrypted      = true",
                "  storage_encrypted      = false",
            ),
        ],
        &[
            "missing-flow: no flow `orders-worker -> orders`",
            "disallowed-flow: the model has `orders-worker -> orders-audit`, but its security group `aws_security_group.workers` lets `orders-worker` reach nothing of `orders-audit`",
            "contradicted-control: component `orders` claims control `encryption-at-rest`",
            "dangling-reference: component `sns-topic-notifications` names `aws_sns_topic.notifications`",
        ],
    );
    insta::assert_snapshot!(report);
}

/// Azure and Google Cloud: what publishes a store changes, and the drift says so on its line.
#[test]
fn azure_and_google_cloud_drift_after_the_code_changed() {
    let azure = infrastructure_drift(
        "tests/fixtures/terraform-azure",
        "main.tf",
        &[
            // A container becomes public, and the Key Vault takes public traffic.
            (
                "  container_access_type = \"private\"",
                "  container_access_type = \"blob\"",
            ),
            (
                "  purge_protection_enabled      = true\n  public_network_access_enabled = false",
                "  purge_protection_enabled      = true\n  public_network_access_enabled = true",
            ),
            // The jump box's SSH is opened to the internet, above the deny.
            (
                "    source_address_prefix      = \"203.0.113.0/24\"",
                "    source_address_prefix      = \"Internet\"",
            ),
        ],
    );
    let google = infrastructure_drift(
        "tests/fixtures/terraform-gcp",
        "main.tf",
        &[
            // Everyone may read the receipts, and the database gets a public address.
            (
                "resource \"google_pubsub_topic\" \"orders\" {",
                "resource \"google_storage_bucket_iam_member\" \"public\" {\n  bucket = google_storage_bucket.receipts.name\n  role   = \"roles/storage.objectViewer\"\n  member = \"allUsers\"\n}\n\nresource \"google_pubsub_topic\" \"orders\" {",
            ),
            (
                "      ipv4_enabled    = false",
                "      ipv4_enabled    = true",
            ),
            (
                "  public_access_prevention    = \"enforced\"",
                "  public_access_prevention    = \"inherited\"",
            ),
        ],
    );
    insta::assert_snapshot!(format!("{azure}\n{google}"));
}

/// Repositories written from public, documented shapes (Docker's voting app behind Traefik, the
/// Bitnami WordPress chart as `helm template` prints it, the AWS three-tier tutorial): each drafts
/// a model with no errors and no warnings, with the guesses docs/iac.md records as right.
#[test]
fn realistic_repositories_draft_what_docs_iac_md_records() {
    for (path, expected) in [
        (
            "tests/fixtures/realistic/voting-compose",
            &[
                "  - vote -> redis: { protocol: redis }",
                "  - worker -> db: { protocol: postgres }",
                "  - result -> db: { protocol: postgres }",
                "    technology: reverse-proxy\n    exposure: internet",
                "    technology: monitoring\n    exposure: internet",
            ][..],
        ),
        (
            "tests/fixtures/realistic/wordpress-helm",
            &[
                "    technology: cms\n    exposure: internet",
                "    technology: mysql\n    exposure: internal\n    controls: [container-hardening, network-policy]",
                "  - blog-wordpress -> blog-mariadb: { protocol: mysql }",
                "  # secrets: uses Secret `blog-mariadb` (env WORDPRESS_DATABASE_PASSWORD)",
            ][..],
        ),
        (
            "tests/fixtures/realistic/aws-three-tier",
            &[
                "  - internet-user -> web: { protocol: http }",
                "  - web -> web-2: { protocol: http }",
                "  - instance-bastion -> web-2: { protocol: ssh }",
                "  - web-2 -> three-tier-db: { protocol: mysql }",
                "  # no encryption-at-rest: `aws_db_instance.db` has `storage_encrypted` off",
            ][..],
        ),
    ] {
        let text = draft(path);
        let loaded = load(&text);
        assert_eq!(codes(&loaded), [""; 0], "{path}:\n{text}");
        for line in expected {
            assert!(text.contains(line), "{path}: `{line}` in\n{text}");
        }
        let inventory = inventory(&[PathBuf::from(path)]);
        assert_eq!(drift(&loaded.model, &inventory).items, [], "{path}");
    }
}
