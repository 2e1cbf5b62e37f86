package io.dinostream.deploy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.HighAvailabilityMode;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;

/**
 * What the Flink Kubernetes Operator checks on a new FlinkDeployment before it deploys anything:
 * {@code DefaultValidator#validateDeployment} of flink-kubernetes-operator release-1.15.0
 * ({@code flink-kubernetes-operator/src/main/java/org/apache/flink/kubernetes/operator/validation/DefaultValidator.java}),
 * re-implemented rule by rule with the operator's messages, because the operator's own jar
 * ({@code org.apache.flink:flink-kubernetes-operator} 1.12.1 to 1.15.0) does not resolve as a
 * dependency of this build; it is also built on Flink 1.20, whose {@code
 * Configuration#getString(ConfigOption)} the validator calls and Flink 2.2 no longer has.
 *
 * <p>As for a first deployment: no reconciled spec yet, so the rules about changes to an earlier
 * spec do not apply. The operator's default configuration is empty, so the defaults of its
 * {@code KubernetesOperatorConfigOptions} apply. Left out: the autoscaler's validator (callers
 * check that no {@code job.autoscaler.*} key is set) and the ingress URL template (no ingress).
 * Besides the validator, the spec's field names are those of the operator's {@code
 * api/spec/*Spec.java}, {@code Resource.java} and {@code JobSpec.java} of the same release: the
 * CRD's schema rejects or drops any other.
 */
final class OperatorValidation {

    private static final Pattern DEPLOYMENT_NAME = Pattern.compile("[a-z]([-a-z\\d]{0,43}[a-z\\d])?");
    private static final List<String> FORBIDDEN_CONF_KEYS =
            List.of("kubernetes.namespace", "kubernetes.cluster-id", HighAvailabilityOptions.HA_CLUSTER_ID.key());
    private static final Set<String> LOG_CONF_KEYS = Set.of("log4j-console.properties", "logback-console.xml");
    /** FlinkVersion of operator 1.15.0; isSupported: v1_15 or newer. */
    private static final List<String> FLINK_VERSIONS = List.of("v1_13", "v1_14", "v1_15", "v1_16", "v1_17",
            "v1_18", "v1_19", "v1_20", "v2_0", "v2_1", "v2_2", "v2_3", "v2_4");

    private static final Map<String, Set<String>> SPEC_FIELDS = Map.of(
            "spec", Set.of("job", "restartNonce", "flinkConfiguration", "image", "imagePullPolicy", "serviceAccount",
                    "flinkVersion", "ingress", "podTemplate", "jobManager", "taskManager", "logConfiguration", "mode"),
            "spec.job", Set.of("jarURI", "parallelism", "entryClass", "args", "state", "savepointTriggerNonce",
                    "initialSavepointPath", "checkpointTriggerNonce", "upgradeMode", "allowNonRestoredState",
                    "savepointRedeployNonce", "autoscalerResetNonce"),
            "spec.jobManager", Set.of("resource", "replicas", "podTemplate"),
            "spec.taskManager", Set.of("resource", "replicas", "podTemplate"),
            "spec.jobManager.resource", Set.of("cpu", "memory", "ephemeralStorage"),
            "spec.taskManager.resource", Set.of("cpu", "memory", "ephemeralStorage"));

    /** The operator's KubernetesOperatorConfigOptions that the validator reads, with their defaults. */
    static final ConfigOption<Boolean> DEPLOYMENT_ROLLBACK_ENABLED =
            ConfigOptions.key("kubernetes.operator.deployment.rollback.enabled").booleanType().defaultValue(false);
    static final ConfigOption<Boolean> CLUSTER_HEALTH_CHECK_ENABLED =
            ConfigOptions.key("kubernetes.operator.cluster.health-check.enabled").booleanType().defaultValue(false);
    static final ConfigOption<Boolean> JM_DEPLOYMENT_RECOVERY_ENABLED =
            ConfigOptions.key("kubernetes.operator.jm-deployment-recovery.enabled").booleanType().defaultValue(true);
    static final ConfigOption<String> PERIODIC_SAVEPOINT_INTERVAL =
            ConfigOptions.key("kubernetes.operator.periodic.savepoint.interval").stringType().defaultValue("");
    static final ConfigOption<String> LAST_STATE_CHECKPOINT_MAX_AGE =
            ConfigOptions.key("kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age")
                    .stringType().noDefaultValue();

    private OperatorValidation() {}

    /** The operator's answer to a FlinkDeployment object as read from YAML: empty when it accepts it. */
    static Optional<String> validateDeployment(Map<String, Object> deployment) {
        Map<String, Object> spec = map(deployment.get("spec"));
        Map<String, String> effectiveConfig = flinkConfiguration(spec);
        return firstPresent(
                unknownFields(spec),
                validateDeploymentName(String.valueOf(map(deployment.get("metadata")).get("name"))),
                validateFlinkVersion(spec.get("flinkVersion")),
                validateFlinkDeploymentConfig(effectiveConfig),
                validateLogConfig(map(spec.get("logConfiguration"))),
                validateJobSpec(map(spec.get("job")), map(spec.get("taskManager")), effectiveConfig),
                validateJmSpec(map(spec.get("jobManager")), effectiveConfig),
                validateTmSpec(map(spec.get("taskManager")), effectiveConfig),
                spec.get("serviceAccount") == null
                        ? Optional.of("spec.serviceAccount must be defined. If you use helm, its value should be the"
                                + " same with the name of jobServiceAccount.")
                        : Optional.empty());
    }

    /** spec.flinkConfiguration as the operator flattens it: every value a string. */
    static Map<String, String> flinkConfiguration(Map<String, Object> spec) {
        Map<String, String> configuration = new LinkedHashMap<>();
        Map<String, Object> declared = map(spec.get("flinkConfiguration"));
        if (declared != null) {
            declared.forEach((k, v) -> configuration.put(k, String.valueOf(v)));
        }
        return configuration;
    }

    /**
     * The bytes in a Kubernetes quantity ("4Gi", "500M"), or empty when it is not one. Covers the
     * decimal and binary suffixes and milli; the exponent forms ("1e3") are not used here.
     */
    static Optional<BigDecimal> quantityBytes(String quantity) {
        Matcher m = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?").matcher(quantity.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        BigDecimal amount = new BigDecimal(m.group(1));
        String suffix = m.group(2) == null ? "" : m.group(2);
        return Optional.of(switch (suffix) {
            case "" -> amount;
            case "m" -> amount.movePointLeft(3);
            case "k" -> amount.movePointRight(3);
            case "M" -> amount.movePointRight(6);
            case "G" -> amount.movePointRight(9);
            case "T" -> amount.movePointRight(12);
            case "P" -> amount.movePointRight(15);
            case "E" -> amount.movePointRight(18);
            default -> amount.multiply(BigDecimal.valueOf(2).pow(10 * (1 + "KMGTPE".indexOf(suffix.charAt(0)))));
        });
    }

    private static Optional<String> unknownFields(Map<String, Object> spec) {
        List<String> unknown = new ArrayList<>();
        SPEC_FIELDS.forEach((path, fields) -> {
            Object node = spec;
            for (String step : path.split("\\.")) {
                node = step.equals("spec") || node == null ? node : map(node).get(step);
            }
            if (node != null) {
                map(node).keySet().stream().filter(k -> !fields.contains(k)).forEach(k -> unknown.add(path + "." + k));
            }
        });
        return unknown.isEmpty() ? Optional.empty() : Optional.of("fields the CRD does not know: " + unknown);
    }

    private static Optional<String> validateDeploymentName(String name) {
        if (!DEPLOYMENT_NAME.matcher(name).matches()) {
            return Optional.of(String.format("The FlinkDeployment name: %s is invalid, must consist of lower case"
                    + " alphanumeric characters or '-', start with an alphabetic character, and end with an"
                    + " alphanumeric character (e.g. 'my-name',  or 'abc-123'), and the length must be no more than"
                    + " 45 characters.", name));
        }
        return Optional.empty();
    }

    private static Optional<String> validateFlinkVersion(Object version) {
        if (version == null) {
            return Optional.of("Flink Version must be defined.");
        }
        int index = FLINK_VERSIONS.indexOf(version.toString());
        if (index < 0) {
            return Optional.of("unknown flinkVersion " + version + ": the CRD takes " + FLINK_VERSIONS);
        }
        if (index < FLINK_VERSIONS.indexOf("v1_15")) {
            return Optional.of("Flink version " + version + " is not supported by this operator version");
        }
        return Optional.empty();
    }

    private static Optional<String> validateFlinkDeploymentConfig(Map<String, String> confMap) {
        Configuration conf = Configuration.fromMap(confMap);
        for (String key : FORBIDDEN_CONF_KEYS) {
            if (conf.containsKey(key)) {
                return Optional.of("Forbidden Flink config key: " + key);
            }
        }
        if (conf.get(DEPLOYMENT_ROLLBACK_ENABLED) && !HighAvailabilityMode.isHighAvailabilityModeActivated(conf)) {
            return Optional.of("HA must be enabled for rollback support.");
        }
        if (conf.get(CLUSTER_HEALTH_CHECK_ENABLED) && !conf.get(JM_DEPLOYMENT_RECOVERY_ENABLED)) {
            return Optional.of("Deployment recovery (" + JM_DEPLOYMENT_RECOVERY_ENABLED.key()
                    + ") must be enabled for job health check (" + CLUSTER_HEALTH_CHECK_ENABLED.key() + ") support.");
        }
        return Optional.empty();
    }

    private static Optional<String> validateLogConfig(Map<String, Object> logConfiguration) {
        if (logConfiguration == null) {
            return Optional.empty();
        }
        for (String key : logConfiguration.keySet()) {
            if (!LOG_CONF_KEYS.contains(key)) {
                return Optional.of(String.format("Invalid log config key: %s. Allowed keys are %s", key, LOG_CONF_KEYS));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> validateJobSpec(Map<String, Object> job, Map<String, Object> tm,
            Map<String, String> confMap) {
        if (job == null) {
            return Optional.empty();
        }
        Configuration configuration = Configuration.fromMap(confMap);
        String upgradeMode = String.valueOf(job.getOrDefault("upgradeMode", "stateless"));
        if (!upgradeMode.equals("stateless") && blank(configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))) {
            return Optional.of(String.format(
                    "Checkpoint directory[%s] must be defined for last-state and savepoint upgrade modes",
                    CheckpointingOptions.CHECKPOINTS_DIRECTORY.key()));
        }
        if (blank(configuration.get(CheckpointingOptions.SAVEPOINT_DIRECTORY))) {
            String key = CheckpointingOptions.SAVEPOINT_DIRECTORY.key();
            if (upgradeMode.equals("savepoint")) {
                return Optional.of(String.format(
                        "Job could not be upgraded with savepoint while config key[%s] is not set", key));
            } else if (job.get("savepointTriggerNonce") != null) {
                return Optional.of(String.format("Savepoint could not be manually triggered for the running job"
                        + " while config key[%s] is not set", key));
            } else if (configuration.contains(PERIODIC_SAVEPOINT_INTERVAL)) {
                return Optional.of(String.format(
                        "Periodic savepoints cannot be enabled when config key[%s] is not set", key));
            } else if (configuration.get(LAST_STATE_CHECKPOINT_MAX_AGE) != null) {
                return Optional.of(String.format("In order to use max-checkpoint age functionality config key[%s]"
                        + " must be set to allow triggering savepoint upgrades.", key));
            }
        }
        Object tmReplicas = tm == null ? null : tm.get("replicas");
        if (tmReplicas != null && ((Number) tmReplicas).intValue() < 1) {
            return Optional.of("TaskManager replicas must be larger than 0");
        } else if (tmReplicas == null && ((Number) job.getOrDefault("parallelism", 0)).intValue() < 1) {
            return Optional.of("Job parallelism must be larger than 0");
        }
        return Optional.empty();
    }

    private static Optional<String> validateJmSpec(Map<String, Object> jm, Map<String, String> confMap) {
        Configuration conf = Configuration.fromMap(confMap);
        Map<String, Object> resource = jm == null ? null : map(jm.get("resource"));
        if (resource == null || blank((String) resource.get("memory"))) {
            try {
                JobManagerProcessUtils.processSpecFromConfig(conf);
            } catch (RuntimeException e) {
                return Optional.of("JobManager resource memory must be defined using `spec.jobManager.resource.memory`");
            }
        }
        if (jm == null) {
            return Optional.empty();
        }
        int replicas = ((Number) jm.getOrDefault("replicas", 1)).intValue();
        return firstPresent(
                validateResources("JobManager", resource),
                replicas < 1
                        ? Optional.of("JobManager replicas should not be configured less than one.")
                        : replicas > 1 && !HighAvailabilityMode.isHighAvailabilityModeActivated(conf)
                                ? Optional.of("High availability should be enabled when starting standby JobManagers.")
                                : Optional.empty());
    }

    private static Optional<String> validateTmSpec(Map<String, Object> tm, Map<String, String> confMap) {
        Map<String, Object> resource = tm == null ? null : map(tm.get("resource"));
        if (resource == null || blank((String) resource.get("memory"))) {
            try {
                TaskExecutorProcessUtils.processSpecFromConfig(Configuration.fromMap(confMap));
            } catch (RuntimeException e) {
                return Optional.of("TaskManager resource memory must be defined using `spec.taskManager.resource.memory`");
            }
        }
        if (tm == null) {
            return Optional.empty();
        }
        Object replicas = tm.get("replicas");
        return firstPresent(
                validateResources("TaskManager", resource),
                replicas != null && ((Number) replicas).intValue() < 1
                        ? Optional.of("TaskManager replicas should not be configured less than one.")
                        : Optional.empty());
    }

    private static Optional<String> validateResources(String component, Map<String, Object> resource) {
        if (resource == null) {
            return Optional.empty();
        }
        StringBuilder errors = new StringBuilder();
        Object memory = resource.get("memory");
        if (memory != null && parseResourceMemory(memory.toString()).isEmpty()) {
            errors.append(component).append(" resource memory parse error: ").append(memory);
        }
        Object storage = resource.get("ephemeralStorage");
        if (storage != null && quantityBytes(storage.toString()).isEmpty()) {
            errors.append(component).append(" resource ephemeral storage parse error: ").append(storage);
        }
        return errors.length() == 0 ? Optional.empty() : Optional.of(errors.toString());
    }

    /**
     * FlinkConfigBuilder#parseResourceMemoryString: Flink's own memory syntax first ("2048m" is 2048
     * MiB there), else a Kubernetes quantity. What the operator then sets as the process size.
     */
    static Optional<MemorySize> parseResourceMemory(String memory) {
        try {
            return Optional.of(MemorySize.parse(memory));
        } catch (IllegalArgumentException e) {
            return quantityBytes(memory.replaceAll("\\s", "")).map(b -> new MemorySize(b.longValue()));
        }
    }

    /**
     * SnapshotUtils#interpretAsInterval (same release): the operator reads the periodic savepoint
     * interval as a Duration or else a Quartz cron expression, and one that is neither only logs a
     * warning, so no savepoint is ever taken.
     */
    static boolean isDuration(String expression) {
        try {
            ConfigurationUtils.convertValue(expression, java.time.Duration.class);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @SafeVarargs
    private static Optional<String> firstPresent(Optional<String>... checks) {
        for (Optional<String> check : checks) {
            if (check.isPresent()) {
                return check;
            }
        }
        return Optional.empty();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        return (Map<String, Object>) node;
    }
}
