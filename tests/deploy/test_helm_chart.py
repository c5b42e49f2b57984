"""The Helm chart, checked without helm and without a cluster (neither is available here).

* values: values.yaml and every ``ci/*-values.yaml`` (coalesced with values.yaml, as helm does) pass
  values.schema.json under check-jsonschema; every ``ci/invalid/*.yaml`` fails it; the schema is valid
  draft-07;
* every ``.Values.…`` a template reads exists in values.yaml and in the schema, and every value of
  values.yaml is read by a template;
* yamllint on the chart's YAML files and on the rendered manifests;
* the manifests rendered by tests/deploy/gotemplate.py (a subset of helm's template engine) pass
  kubernetes-validate in strict mode for Kubernetes 1.29 and 1.37, and say what the chart promises:
  hooks, probes, one beat, the wildcard ingress, labels, security contexts, resources, Secret refs.

Not checked here: `helm lint` / `helm template` themselves, and anything against a live API server
(admission, CRDs, quotas): helm/bancheng/README.md says how an operator runs those.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from tests.deploy.gotemplate import chart_values, helm_template_output, manifests, render_chart
from tests.deploy.support import ROOT

CHART = ROOT / "helm" / "bancheng"
BIN = Path(sys.executable).parent
SCHEMA = CHART / "values.schema.json"
EXAMPLES = sorted((CHART / "ci").glob("*-values.yaml"))
INVALID = sorted((CHART / "ci" / "invalid").glob("*.yaml"))
KUBERNETES_VERSIONS = ["1.29.0", "1.37.0"]
YAMLLINT = YamlLintConfig(
    """
extends: default
rules:
  line-length: {max: 120}
  document-start: disable
  comments: {min-spaces-from-content: 1}
  indentation: {spaces: 2, indent-sequences: whatever}
  truthy: {check-keys: false}
"""
)


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name


def check_jsonschema(instance: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--schemafile", str(SCHEMA), str(instance)],
        capture_output=True,
        text=True,
        check=False,
    )


def coalesced(tmp_path: Path, example: Path) -> Path:
    """The values helm validates: values.yaml with the example over it, as a JSON file."""
    target = tmp_path / f"{example.stem}.json"
    target.write_text(json.dumps(chart_values(CHART, [example])), encoding="utf-8")
    return target


# --- values and schema -------------------------------------------------------------------------


def test_the_schema_is_valid_draft_07() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"

    result = subprocess.run(
        [tool("check-jsonschema"), "--check-metaschema", str(SCHEMA)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_default_values_pass_the_schema() -> None:
    result = check_jsonschema(CHART / "values.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_are_examples_both_ways() -> None:
    assert len(EXAMPLES) >= 2
    assert len(INVALID) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_values_pass_the_schema(example: Path, tmp_path: Path) -> None:
    result = check_jsonschema(coalesced(tmp_path, example))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("example", INVALID, ids=lambda path: path.name)
def test_invalid_values_fail_the_schema(example: Path, tmp_path: Path) -> None:
    result = check_jsonschema(coalesced(tmp_path, example))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors were encountered" in result.stdout + result.stderr


def value_paths(values: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of values.yaml down to its leaves (maps that a template reads whole stop there)."""
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from value_paths(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix


def template_paths() -> set[str]:
    """Every ``.Values.a.b`` (also ``$.Values.a.b``) read by a template, and the components read
    through ``index $.Values $component`` expanded."""
    found: set[str] = set()
    for path in (CHART / "templates").iterdir():
        text = path.read_text(encoding="utf-8")
        found.update(match.group(1) for match in re.finditer(r"\.Values\.([A-Za-z0-9_.]+)", text))
        # `range $component := list "web" "worker"` with `$values := index $.Values $component`
        ranged = re.search(r"range \$component := list((?: \"\w+\")+)", text)
        if ranged:
            for component in re.findall(r'"(\w+)"', ranged.group(1)):
                found.update(f"{component}.{name}" for name in re.findall(r"\$values\.([A-Za-z0-9_.]+)", text))
        # `$secrets := .Values.secrets` in bancheng.secretEnv
        if "$secrets := .Values.secrets" in text:
            found.update(f"secrets.{name}" for name in re.findall(r"\$secrets\.([A-Za-z0-9_]+)", text))
    return {item.rstrip(".") for item in found}


def schema_has(schema: dict[str, Any], dotted: str) -> bool:
    node: dict[str, Any] = schema
    for part in dotted.split("."):
        properties = node.get("properties", {})
        if part not in properties:
            return False
        node = properties[part]
        while "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return True


def has_path(values: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(values, dict) or part not in values:
            return False
        values = values[part]
    return True


def test_every_value_a_template_reads_exists_in_values_and_schema() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    used = template_paths()
    assert "web.autoscaling.minReplicas" in used  # read through `index $.Values $component`
    assert "secrets.metricsToken" in used  # read through `$secrets` in bancheng.secretEnv

    missing_in_values = sorted(path for path in used if not has_path(values, path))
    missing_in_schema = sorted(path for path in used if not schema_has(schema, path))

    assert not missing_in_values
    assert not missing_in_schema


def test_every_value_is_read_by_a_template() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    used = template_paths()

    unused = [
        path for path in value_paths(values) if not any(path == read or path.startswith(read + ".") for read in used)
    ]

    assert not unused


# --- yamllint ------------------------------------------------------------------------------------


def lint(text: str) -> list[str]:
    return [f"{problem.line}:{problem.column} {problem.rule} {problem.desc}" for problem in linter.run(text, YAMLLINT)]


@pytest.mark.parametrize(
    "path",
    [CHART / "Chart.yaml", CHART / "values.yaml", *EXAMPLES, *INVALID, ROOT / "deploy" / "compose.yaml"],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_yaml_files_pass_yamllint(path: Path) -> None:
    assert lint(path.read_text(encoding="utf-8")) == []


# --- rendered manifests --------------------------------------------------------------------------

RENDERINGS = {"default": [], **{example.stem: [example] for example in EXAMPLES}}


@pytest.fixture(scope="module", params=sorted(RENDERINGS))
def rendering(request: pytest.FixtureRequest) -> tuple[str, dict[str, str], list[tuple[str, dict[str, Any]]]]:
    rendered = render_chart(CHART, RENDERINGS[request.param], release="prod")
    return request.param, rendered, manifests(rendered)


def by_kind(documents: list[tuple[str, dict[str, Any]]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in documents if doc["kind"] == kind}


def test_rendered_manifests_pass_yamllint(rendering: Any) -> None:
    _, rendered, _ = rendering
    output = helm_template_output(rendered)

    assert output.count("\n---\n") + 1 == len(manifests(rendered))
    assert lint(output) == []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_rendered_manifests_pass_kubernetes_validate(rendering: Any, version: str) -> None:
    _, _, documents = rendering
    assert documents
    for source, document in documents:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{source} {document['kind']} {document['metadata']['name']}: {error.message} at {error.path}")


def test_the_chart_renders_every_resource(rendering: Any) -> None:
    name, _, documents = rendering
    kinds = sorted(f"{doc['kind']}/{doc['metadata']['name']}" for _, doc in documents)
    expected = {
        "ConfigMap/prod-bancheng",
        "ConfigMap/prod-bancheng-migrate",
        "Deployment/prod-bancheng-beat",
        "Deployment/prod-bancheng-web",
        "Deployment/prod-bancheng-worker",
        "HorizontalPodAutoscaler/prod-bancheng-web",
        "Ingress/prod-bancheng",
        "Job/prod-bancheng-migrate",
        "PodDisruptionBudget/prod-bancheng-web",
        "PodDisruptionBudget/prod-bancheng-worker",
        "Service/prod-bancheng-web",
    }
    assert expected <= set(kinds)
    # the worker autoscales unless its example fixes the replicas
    assert ("HorizontalPodAutoscaler/prod-bancheng-worker" in kinds) == (name != "production-values")


def test_every_object_carries_the_recommended_labels(rendering: Any) -> None:
    _, _, documents = rendering
    for _, doc in documents:
        labels = doc["metadata"]["labels"]
        for key in (
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/version",
            "app.kubernetes.io/component",
            "app.kubernetes.io/part-of",
            "app.kubernetes.io/managed-by",
            "helm.sh/chart",
        ):
            assert labels.get(key), (doc["kind"], key)
        assert labels["app.kubernetes.io/instance"] == "prod"


def pods(documents: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Pod templates of the Deployments and the Job, by object name."""
    return {
        doc["metadata"]["name"]: doc["spec"]["template"] for _, doc in documents if doc["kind"] in ("Deployment", "Job")
    }


def test_selectors_and_the_service_match_their_pods(rendering: Any) -> None:
    _, _, documents = rendering
    deployments = by_kind(documents, "Deployment")
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items(), name
    service = by_kind(documents, "Service")["prod-bancheng-web"]
    web_labels = deployments["prod-bancheng-web"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= web_labels.items()
    for name, budget in by_kind(documents, "PodDisruptionBudget").items():
        target = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= target.items()
    for name, autoscaler in by_kind(documents, "HorizontalPodAutoscaler").items():
        assert autoscaler["spec"]["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[autoscaler["spec"]["scaleTargetRef"]["name"]]["spec"], name


def test_exactly_one_beat_recreated_never_autoscaled(rendering: Any) -> None:
    _, _, documents = rendering
    beat = by_kind(documents, "Deployment")["prod-bancheng-beat"]

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert "prod-bancheng-beat" not in by_kind(documents, kind)


def test_the_migration_job_is_a_hook_with_its_own_configuration(rendering: Any) -> None:
    _, _, documents = rendering
    job = by_kind(documents, "Job")["prod-bancheng-migrate"]
    config = by_kind(documents, "ConfigMap")["prod-bancheng-migrate"]
    job_hook = job["metadata"]["annotations"]
    config_hook = config["metadata"]["annotations"]

    assert job_hook["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert config_hook["helm.sh/hook"] == "pre-install,pre-upgrade"
    # the configuration exists before the Job starts
    assert int(config_hook["helm.sh/hook-weight"]) < int(job_hook["helm.sh/hook-weight"])
    assert "before-hook-creation" in job_hook["helm.sh/hook-delete-policy"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["/app/deploy/entrypoints/migrate.sh"]
    assert container["envFrom"] == [{"configMapRef": {"name": "prod-bancheng-migrate"}}]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # the hook's configuration is the release's configuration
    assert config["data"] == by_kind(documents, "ConfigMap")["prod-bancheng"]["data"]


def test_web_probes_ask_healthz_and_readyz_on_the_portal_host(rendering: Any) -> None:
    name, _, documents = rendering
    base = chart_values(CHART, RENDERINGS[name])["baseDomain"]
    web = by_kind(documents, "Deployment")["prod-bancheng-web"]["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}

    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        http = web[probe]["httpGet"]
        assert http["path"] == path
        assert http["port"] in ports
        assert http["httpHeaders"] == [{"name": "Host", "value": base}]
    assert ports["http"] == 8000


def test_the_ingress_serves_the_portal_and_every_hall_with_tls(rendering: Any) -> None:
    name, _, documents = rendering
    values = chart_values(CHART, RENDERINGS[name])
    base = values["baseDomain"]
    ingress = by_kind(documents, "Ingress")["prod-bancheng"]

    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [base, f"*.{base}"]
    tls_secret = values["ingress"]["tls"]["secretName"]
    assert ingress["spec"]["tls"] == [{"hosts": [base, f"*.{base}"], "secretName": tls_secret}]
    for rule in ingress["spec"]["rules"]:
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "prod-bancheng-web", "port": {"name": "http"}}


def test_the_ingress_body_size_follows_the_upload_limit_of_the_application(rendering: Any) -> None:
    name, _, documents = rendering
    values = chart_values(CHART, RENDERINGS[name])
    ingress = by_kind(documents, "Ingress")["prod-bancheng"]
    config = by_kind(documents, "ConfigMap")["prod-bancheng"]["data"]

    body_size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert body_size == config["UPLOAD_BODY_MAX_BYTES"] == str(int(values["config"]["uploadBodyMaxBytes"]))
    assert int(config["REQUEST_BODY_MAX_BYTES"]) <= int(body_size)
    # Other annotations are kept; a proxy-body-size of its own would contradict the setting.
    for key, value in values["ingress"]["annotations"].items():
        if key != "nginx.ingress.kubernetes.io/proxy-body-size":
            assert ingress["metadata"]["annotations"][key] == value


def test_every_pod_runs_as_non_root_on_a_read_only_root_with_resources(rendering: Any) -> None:
    _, _, documents = rendering
    for name, pod in pods(documents).items():
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), name
            assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), name
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], name  # noqa: S108
            # the command is one of the image's entrypoints
            script = ROOT / container["command"][0].removeprefix("/app/")
            assert script.is_file() and script.stat().st_mode & 0o111, container["command"]


REQUIRED_SECRET_VARIABLES = {
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
}
OPTIONAL_SECRET_VARIABLES = {"SENTRY_DSN", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "METRICS_TOKEN"}


def test_secrets_come_from_existing_secrets_and_the_rest_from_the_config_map(rendering: Any) -> None:
    name, _, documents = rendering
    config = by_kind(documents, "ConfigMap")["prod-bancheng"]["data"]
    assert config["DJANGO_ENV"] == "production"
    assert not set(config) & (REQUIRED_SECRET_VARIABLES | OPTIONAL_SECRET_VARIABLES)
    for pod_name, pod in pods(documents).items():
        container = pod["spec"]["containers"][0]
        from_secrets = {item["name"] for item in container["env"] if "secretKeyRef" in item.get("valueFrom", {})}
        assert from_secrets >= REQUIRED_SECRET_VARIABLES, pod_name
        optional = from_secrets & OPTIONAL_SECRET_VARIABLES
        assert optional == (OPTIONAL_SECRET_VARIABLES if name == "production-values" else set()), pod_name
        # no value of a secret variable is written into a manifest
        assert not any(item["name"] in from_secrets and "value" in item for item in container["env"])


def test_only_the_web_pods_use_the_database_pool(rendering: Any) -> None:
    _, _, documents = rendering
    for name, pod in pods(documents).items():
        env = {item["name"]: item.get("value") for item in pod["spec"]["containers"][0]["env"]}
        if name.endswith("-web"):
            assert env["DATABASE_POOL"] == "1"
        else:
            assert "DATABASE_POOL" not in env, name


def test_a_config_change_rolls_the_pods(tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text("config:\n  logLevel: DEBUG\n", encoding="utf-8")

    def checksum(value_files: list[Path]) -> str:
        deployments = by_kind(manifests(render_chart(CHART, value_files)), "Deployment")
        return str(deployments["bancheng-web"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum([]) != checksum([changed])


def test_notes_render(rendering: Any) -> None:
    _, rendered, _ = rendering
    notes = rendered["bancheng/templates/NOTES.txt"]
    assert "https://bancheng." in notes
