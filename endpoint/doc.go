// Package endpoint is the spec of online endpoints: the model (an
// [Endpoint] with its [Deployment]s and traffic split), loading it from the
// YAML that users of the service's CLI write, validating it against the
// service's rules, normalizing it so that equal intents compare equal, and
// writing it back out in one canonical form.
//
// # Formats
//
// [Load] and [Loader.Load] read files and directories; [Parse] reads one
// endpoint file from memory; [Loader.LoadFS] reads from an [io/fs.FS].
// Three layouts are accepted, all into the same model:
//
//   - one endpoint file with its deployments and traffic inside, the
//     declarative flow of 2021, with deployments: either a list of items
//     with name: or a mapping keyed by name;
//   - an endpoint file plus deployment files that name it with
//     endpoint_name: (the layout of the service's examples today); a
//     deployment file without endpoint_name: joins [Loader.EndpointName];
//   - directories, walked recursively for *.yml and *.yaml files.
//
// Both generations of field names load. The 2021 names become today's:
// scale_settings.scale_type manual and auto become type default and
// target_utilization, scale_settings.instance_count becomes
// instance_count, model.local_path and code.local_path become path,
// environment.docker.image becomes image, environment.path is kept as
// the environment's build context path, resource_requirements {cpu,
// memory_in_gb} becomes resources.requests with memory in Gi, and target:
// becomes compute:. Endpoint type: online is accepted and ignored. Each
// 2021 form gets a warning at its key naming today's form; with
// [Loader].RefuseLegacy it is an error instead, as it is for today's az ml.
//
// What the service's CLI reads beyond that is read the same way:
// resources.requests and limits take gpu as well as nvidia.com/gpu; the
// read-only fields that the CLI writes out and ignores on input are
// dropped (an endpoint's id, kind, location, openapi_uri,
// provisioning_state and scoring_uri, its identity's principal_id and
// tenant_id and a user-assigned identity's client_id, principal_id and
// object_id, a deployment's id and provisioning_state, the id and the
// like of an inline model or environment), so the output of az ml
// online-endpoint show and online-deployment show loads; what the CLI
// registers with an inline model or environment (description, tags,
// properties, flavors, datastore) loads with a warning, as no asset
// registered from the spec gets it; and the deprecated
// private_network_connection: true (false) of
// a managed deployment is egress_public_network_access: disabled
// (enabled), with a warning.
//
// Warnings are apart from errors: a spec with warnings loads, and they are
// in [Result].Warnings and [Endpoint.Warnings], positioned and sorted like
// errors, with [SeverityWarning].
//
// Values are read as written, never through a float: version: 1 is "1"
// and version: 1.10 is "1.10". A count written with a leading zero that
// the service's CLI, which reads YAML 1.1, would take as octal
// (instance_count: 010 is 8 to it) is an error. Enumerations ignore case and underscores
// (auth_mode: Key, AMLToken); names and instance types keep their case.
// Booleans are true or false in any case, quoted or not (the service's
// examples write enabled: 'True'). References are read by
// [ParseReference], in any of its forms or as a mapping {name, version,
// path, type}.
//
// # Local files
//
// [Loader.Load] computes the identity of every local asset a deployment
// names, as the service's CLI does before it uploads it, and records it in
// the reference's [Asset]: the content hash of a code folder, the name and
// version a model file registers as (the anonymous name derived from its
// object hash when the spec gives none), and the version of an inline
// environment (CliV2AnonymousEnvironment, from the image and the conda file
// as the CLI re-dumps it). Files that cannot be read leave the reason in
// Asset.Err instead of failing the load; registering refuses them. Parse
// and LoadFS, which read no files of the operating system, leave Asset
// empty. [SameAsset] then treats a local folder and the version
// registered from it as one value, so [DiffDeployment] and [Equal] report
// no change for unchanged files, and a change (with the content hashes)
// for a changed one.
//
// Relative local paths (model, code, conda_file, build context) are
// resolved against the file that names them and kept relative to the
// directory of the endpoint file, cleaned and slash-separated, with file:
// dropped. A deployment file in another directory has its paths rebased
// onto the endpoint file's directory, so one endpoint has one base. Written
// back with [Marshal] into the endpoint file's directory, the spec loads
// to an equal endpoint.
//
// # Labels
//
// A model or environment may be selected by label (azureml:NAME@latest, a
// registry's .../labels/latest). Loading keeps the label; observing the
// service resolves it (the root package's ResolveLabels) into the
// reference's Asset.Version, readable as [Reference.Resolved]. A resolved
// label compares as the version it resolved to ([Reference.Pinned]), so
// the deployment the service holds at that version is no change, and is
// shown with it, azureml:taxi-model@latest (→ 7). [Deployment.Labels]
// lists the label fields of a deployment and [LabelsMoved] says which of
// them point elsewhere than a deployment uses. A curated environment's
// short form, azureml:AzureML-NAME@latest, is the [CuratedRegistry]'s.
//
// # Telling specs from other YAML
//
// A file is an endpoint or a deployment spec by its $schema
// (onlineEndpoint, managedOnlineEndpoint, kubernetesOnlineEndpoint;
// managedOnlineDeployment, kubernetesOnlineDeployment), or, without one,
// by its keys: auth_mode, traffic, deployments, compute, ... make an
// endpoint; endpoint_name, model, instance_type, code_configuration, ...
// make a deployment. Conda files (dependencies, channels), environment and
// model assets, model package specs and tool configs are not specs.
//
// A file named in the paths given to Load must be a spec: anything else is
// an error. A file found by walking a directory that is not a spec is
// listed in [Result].Skipped with the reason, and so is a template: a file
// holding a {{PLACEHOLDER}} that the service's examples fill in with sed
// (often it is not even YAML until then). A template named explicitly is
// loaded as it is: its placeholders stay text where a string is allowed
// (target: azureml:{{computeId}}), and are errors in names and where
// they break the YAML.
//
// # Strictness
//
// The loader walks the YAML node tree itself and reports, with file, line,
// column and the field path as written (deployments[1].instance_count,
// deployments.blue.instance_count, or instance_count in a deployment
// file): unknown keys, with a "did you mean" hint when one is close, or
// the keys allowed there; duplicate keys; a list where a mapping belongs
// and the like; values that are not integers, booleans or allowed names;
// anchors and aliases, which are refused rather than expanded, so alias
// bombs cost nothing; nesting deeper than a spec ever needs; more than one
// YAML document in a file; files larger than [Loader.MaxFileSize].
// Deployments defined twice, a deployment file naming an endpoint that was
// not loaded, and two endpoint files of one name are errors that name both
// places.
//
// Every problem in every file is collected into one [ErrorList], sorted;
// when there is any, nothing is returned.
//
// # Validation
//
// [Validate] checks a spec against the service's static rules (names,
// traffic sums, mirror limits, kinds of deployments on kinds of endpoints,
// counts and bounds). The loader validates every endpoint before
// normalizing it, so its errors point at what the user wrote; a loaded
// endpoint remembers where each field was written for that purpose.
//
// # Normalization
//
// [Normalize] rewrites a spec into its canonical form: deployments sorted
// by name, enumerations in the model's spelling, paths cleaned, and the
// service's documented defaults written out, so that a desired spec never
// differs from what the service reports only by defaults. Loading always
// normalizes.
//
// # Tags
//
// A spec manages the tags of an endpoint or a deployment only when it
// writes a tags key. Without one (or with tags: null) the field is nil and
// the tags the service holds, set by anyone, are left alone: they are no
// change, and a write of the resource for another reason sends them back
// as they are. A spec that writes tags, even tags: {} (an empty, non-nil
// map), manages them whole: tags set by others are removed. Loading,
// [Marshal], JSON, [Equal] and normalization keep nil and empty apart;
// [AdoptTags] is where a planner gives a desired spec the service's tags
// before comparing the two.
//
// # Canonical output
//
// [Marshal] writes an endpoint as one endpoint file in today's field names
// with its deployments inside, the same bytes for the same spec;
// [Reference.String] is the one-line form of a reference. Diffs between
// specs ([DiffEndpoint], [DiffDeployment]) redact secret values.
package endpoint
