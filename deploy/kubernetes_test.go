package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/ingest"
)

// manifestDir holds the Kubernetes manifests and their kustomization.
const manifestDir = "kubernetes"

// kinds are the API types the manifests may use, by apiVersion and kind;
// each document is decoded into its type with unknown fields rejected.
var kinds = map[string]func() metav1.Object{
	"v1/Namespace":                  func() metav1.Object { return &corev1.Namespace{} },
	"v1/ConfigMap":                  func() metav1.Object { return &corev1.ConfigMap{} },
	"v1/Secret":                     func() metav1.Object { return &corev1.Secret{} },
	"v1/Service":                    func() metav1.Object { return &corev1.Service{} },
	"apps/v1/DaemonSet":             func() metav1.Object { return &appsv1.DaemonSet{} },
	"apps/v1/StatefulSet":           func() metav1.Object { return &appsv1.StatefulSet{} },
	"policy/v1/PodDisruptionBudget": func() metav1.Object { return &policyv1.PodDisruptionBudget{} },
}

// kustomization is the part of kustomize's Kustomization the manifests
// use; a field not modelled here is rejected like an unknown one, so a new
// one is added here, where the test can check it.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// object is one decoded document.
type object struct {
	where string // file and document number
	obj   metav1.Object
}

// manifests are the decoded files of manifestDir.
type manifests struct {
	kust    kustomization
	files   []string // the YAML files but kustomization.yaml, sorted
	objects []object
}

// decodeDocument decodes one YAML document strictly into the API type its
// apiVersion and kind name. A document holding only comments is nil.
func decodeDocument(doc []byte) (metav1.Object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	if tm.APIVersion == "" && tm.Kind == "" {
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil || v != nil {
			return nil, errors.New("no apiVersion and kind")
		}
		return nil, nil
	}
	newObj, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("%s %s: not a kind this test knows (add its type to kinds)", tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	if obj.GetName() == "" {
		return nil, fmt.Errorf("%s %s: no metadata.name", tm.APIVersion, tm.Kind)
	}
	return obj, nil
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(manifestDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	m := &manifests{}
	for _, p := range paths {
		name := filepath.Base(p)
		if filepath.Ext(name) != ".yaml" {
			t.Errorf("%s: the manifests are .yaml files (kubectl and kustomize read them; the test only those)", p)
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if name == "kustomization.yaml" {
			if err := yaml.UnmarshalStrict(b, &m.kust); err != nil {
				t.Errorf("%s: %v", p, err)
			}
			continue
		}
		m.files = append(m.files, name)
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for n := 1; ; n++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			obj, err := decodeDocument(doc)
			where := fmt.Sprintf("%s (document %d)", p, n)
			switch {
			case err != nil:
				t.Errorf("%s: %v", where, err)
			case obj != nil:
				m.objects = append(m.objects, object{where, obj})
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

// all returns the objects of type T.
func all[T metav1.Object](m *manifests) []T {
	var out []T
	for _, o := range m.objects {
		if v, ok := o.obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// named returns the object of type T with name, or nil.
func named[T metav1.Object](m *manifests, name string) T {
	var zero T
	for _, v := range all[T](m) {
		if v.GetName() == name {
			return v
		}
	}
	return zero
}

// TestManifestsDecodeStrictly: the decoder the tests rely on refuses what
// the API server would not take, so a typo cannot pass for a default.
func TestManifestsDecodeStrictly(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":  "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {selectr: {app: x}}\n",
		"wrong type":     "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: http}]}\n",
		"duplicate key":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n",
		"unknown kind":   "apiVersion: apps/v1\nkind: Deploymnt\nmetadata: {name: x}\n",
		"no kind":        "metadata: {name: x}\n",
		"no name":        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
		"wrong version":  "apiVersion: apps/v1beta2\nkind: DaemonSet\nmetadata: {name: x}\n",
		"unknown in pod": "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: a, imagePullPolcy: Always}]}}}\n",
	} {
		if _, err := decodeDocument([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without an error:\n%s", name, doc)
		}
	}
	if obj, err := decodeDocument([]byte("# only a comment\n")); obj != nil || err != nil {
		t.Errorf("a comment-only document: %v, %v; want nothing", obj, err)
	}
	m := loadManifests(t)
	if len(m.objects) < 8 {
		t.Errorf("decoded %d objects from %s, want the namespace, configs, secret, workloads and services", len(m.objects), manifestDir)
	}
}

// TestKustomization: the kustomization lists every manifest but the
// example Secret (so that `kubectl apply -k` never puts the placeholder
// token back over the real one), puts everything in the namespace the
// Namespace object makes, and can set every image.
func TestKustomization(t *testing.T) {
	m := loadManifests(t)
	k := m.kust
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: %s %s, want kustomize.config.k8s.io/v1beta1 Kustomization", k.APIVersion, k.Kind)
	}
	var want []string
	for _, f := range m.files {
		if !strings.HasSuffix(f, ".example.yaml") {
			want = append(want, f)
		}
	}
	got := slices.Clone(k.Resources)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kustomization.yaml resources: every manifest but *.example.yaml, each once (-want +got):\n%s", diff)
	}

	namespaces := all[*corev1.Namespace](m)
	if len(namespaces) != 1 || namespaces[0].Name != k.Namespace {
		t.Errorf("want one Namespace, named as the kustomization's namespace %q", k.Namespace)
	}
	for _, o := range m.objects {
		if _, ok := o.obj.(*corev1.Namespace); ok {
			continue
		}
		if ns := o.obj.GetNamespace(); ns != k.Namespace {
			t.Errorf("%s: %s is in namespace %q, want %q (applied with -f, it must land where -k puts it)", o.where, o.obj.GetName(), ns, k.Namespace)
		}
	}

	images := map[string]bool{}
	for _, im := range k.Images {
		images[im.Name] = true
	}
	for _, w := range workloads(m) {
		for _, c := range w.pod.Spec.Containers {
			name := c.Image
			if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
				name = name[:i]
			}
			if !images[name] {
				t.Errorf("%s: container %s's image %s is not in the kustomization's images", w.name, c.Name, name)
			}
		}
	}
}

// workload is a DaemonSet's or StatefulSet's pod template.
type workload struct {
	name     string // kind/name
	selector *metav1.LabelSelector
	pod      corev1.PodTemplateSpec
	claims   []string // volumeClaimTemplates' names
}

func workloads(m *manifests) []workload {
	var out []workload
	for _, d := range all[*appsv1.DaemonSet](m) {
		out = append(out, workload{name: "DaemonSet/" + d.Name, selector: d.Spec.Selector, pod: d.Spec.Template})
	}
	for _, s := range all[*appsv1.StatefulSet](m) {
		w := workload{name: "StatefulSet/" + s.Name, selector: s.Spec.Selector, pod: s.Spec.Template}
		for _, c := range s.Spec.VolumeClaimTemplates {
			w.claims = append(w.claims, c.Name)
		}
		out = append(out, w)
	}
	return out
}

// selects reports whether sel selects the pods of w.
func (w workload) selectedBy(t *testing.T, sel *metav1.LabelSelector) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("%s: selector: %v", w.name, err)
	}
	return !s.Empty() && s.Matches(labels.Set(w.pod.Labels))
}

// port finds a container port by name or number.
func (w workload) port(p string) (corev1.ContainerPort, bool) {
	for _, c := range w.pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == p || strconv.Itoa(int(cp.ContainerPort)) == p {
				return cp, true
			}
		}
	}
	return corev1.ContainerPort{}, false
}

// TestManifestReferences: every name a manifest uses exists — the
// ConfigMaps and Secrets (and their keys) a pod reads, the volumes its
// containers mount, the ports its probes and the Services target — every
// selector selects its pods, and every container is locked down.
func TestManifestReferences(t *testing.T) {
	m := loadManifests(t)
	ws := workloads(m)
	if len(ws) != 2 {
		t.Fatalf("want the agents' DaemonSet and the servers' StatefulSet, got %d workloads", len(ws))
	}
	for _, w := range ws {
		spec := w.pod.Spec
		if !w.selectedBy(t, w.selector) {
			t.Errorf("%s: its selector does not select its pod template's labels %v", w.name, w.pod.Labels)
		}
		if a := spec.AutomountServiceAccountToken; a == nil || *a {
			t.Errorf("%s: automountServiceAccountToken should be false: headroom never talks to the API server", w.name)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range spec.Volumes {
			volumes[v.Name] = v
			if cm := v.ConfigMap; cm != nil && named[*corev1.ConfigMap](m, cm.Name) == nil {
				t.Errorf("%s: volume %s: no ConfigMap %s", w.name, v.Name, cm.Name)
			}
			if s := v.Secret; s != nil && named[*corev1.Secret](m, s.SecretName) == nil {
				t.Errorf("%s: volume %s: no Secret %s", w.name, v.Name, s.SecretName)
			}
		}
		if len(spec.Containers) != 1 || len(spec.InitContainers) != 0 {
			t.Errorf("%s: want one container, headroom", w.name)
		}
		for _, c := range spec.Containers {
			where := w.name + " container " + c.Name
			tmp := false
			for _, vm := range c.VolumeMounts {
				v, ok := volumes[vm.Name]
				if !ok && !slices.Contains(w.claims, vm.Name) {
					t.Errorf("%s: mounts %s, which is neither a volume nor a volumeClaimTemplate", where, vm.Name)
				}
				tmp = tmp || vm.MountPath == "/tmp" && v.EmptyDir != nil
			}
			if !tmp {
				t.Errorf("%s: no emptyDir at /tmp: the root file system is read-only, and SQLite writes its temporary files there", where)
			}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					s := named[*corev1.Secret](m, r.Name)
					if s == nil {
						t.Errorf("%s: env %s: no Secret %s", where, e.Name, r.Name)
					} else if _, inData := s.Data[r.Key]; !inData && s.StringData[r.Key] == "" {
						t.Errorf("%s: env %s: Secret %s has no key %s", where, e.Name, r.Name, r.Key)
					}
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					if cm := named[*corev1.ConfigMap](m, r.Name); cm == nil || cm.Data[r.Key] == "" {
						t.Errorf("%s: env %s: no key %s in a ConfigMap %s", where, e.Name, r.Key, r.Name)
					}
				}
			}
			for kind, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
				if p == nil {
					continue
				}
				var port string
				switch {
				case p.HTTPGet != nil:
					port = p.HTTPGet.Port.String()
					if p.HTTPGet.Path != "/healthz" {
						t.Errorf("%s: %s probe on %s, want /healthz", where, kind, p.HTTPGet.Path)
					}
				case p.TCPSocket != nil:
					port = p.TCPSocket.Port.String()
				}
				if _, ok := w.port(port); !ok {
					t.Errorf("%s: %s probe on port %q, which the container does not declare", where, kind, port)
				}
			}
			if c.LivenessProbe == nil {
				t.Errorf("%s: no liveness probe", where)
			}
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Privileged != nil && *sc.Privileged ||
				sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: want readOnlyRootFilesystem, no privilege escalation, not privileged, every capability dropped and none added", where)
			}
			if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
				t.Errorf("%s: want CPU and memory requests and a memory limit", where)
			}
		}
	}

	for _, svc := range all[*corev1.Service](m) {
		var selected []workload
		for _, w := range ws {
			if w.selectedBy(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}) {
				selected = append(selected, w)
			}
		}
		if len(selected) == 0 {
			t.Errorf("Service %s: its selector %v selects no workload's pods", svc.Name, svc.Spec.Selector)
		}
		for _, w := range selected {
			for _, p := range svc.Spec.Ports {
				if _, ok := w.port(p.TargetPort.String()); !ok {
					t.Errorf("Service %s: port %s targets %q, which %s's container does not declare", svc.Name, p.Name, p.TargetPort.String(), w.name)
				}
			}
		}
	}
	for _, pdb := range all[*policyv1.PodDisruptionBudget](m) {
		n := 0
		for _, w := range ws {
			if w.selectedBy(t, pdb.Spec.Selector) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("PodDisruptionBudget %s: selects %d workloads' pods, want one", pdb.Name, n)
		}
	}
	for _, s := range all[*appsv1.StatefulSet](m) {
		svc := named[*corev1.Service](m, s.Spec.ServiceName)
		if svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("StatefulSet %s: serviceName %q must be a headless Service (clusterIP: None): it names each server for the agents", s.Name, s.Spec.ServiceName)
		}
	}
	for _, d := range all[*appsv1.DaemonSet](m) {
		if !slices.ContainsFunc(d.Spec.Template.Spec.Tolerations, func(tol corev1.Toleration) bool {
			return tol.Key == "" && tol.Operator == corev1.TolerationOpExists && tol.Effect == ""
		}) {
			t.Errorf("DaemonSet %s: want a toleration `operator: Exists` (no key, no effect), to run on every node", d.Name)
		}
	}
}

// deployed is a headroom process in the manifests: its workload, its one
// container, and its config as headroom reads it.
type deployed struct {
	workload
	container corev1.Container
	path      string // the --config argument
	config    *config.Config
}

// deployedConfig finds the config a workload's container runs with (the
// key of the ConfigMap mounted where --config points) and parses it with
// headroom's own validation.
func deployedConfig(t *testing.T, m *manifests, w workload) deployed {
	t.Helper()
	d := deployed{workload: w, container: w.pod.Spec.Containers[0]}
	args := d.container.Args
	if i := slices.Index(args, "--config"); i >= 0 && i+1 < len(args) {
		d.path = args[i+1]
	} else {
		t.Fatalf("%s: args %q have no --config FILE", w.name, args)
	}
	var cm *corev1.ConfigMap
	for _, vm := range d.container.VolumeMounts {
		if vm.MountPath != filepath.Dir(d.path) {
			continue
		}
		for _, v := range w.pod.Spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && len(v.ConfigMap.Items) == 0 {
				cm = named[*corev1.ConfigMap](m, v.ConfigMap.Name)
			}
		}
	}
	text, ok := "", false
	if cm != nil {
		text, ok = cm.Data[filepath.Base(d.path)]
	}
	if !ok {
		t.Fatalf("%s: --config %s: no ConfigMap mounted at %s with a key %s", w.name, d.path, filepath.Dir(d.path), filepath.Base(d.path))
	}
	c, err := config.Parse([]byte(text), d.path)
	if err != nil {
		t.Fatalf("%s: ConfigMap %s, key %s: headroom refuses it:\n%v", w.name, cm.Name, filepath.Base(d.path), err)
	}
	d.config = c
	return d
}

// env returns the container's variable name, or nil.
func (d deployed) env(name string) *corev1.EnvVar {
	for i, e := range d.container.Env {
		if e.Name == name {
			return &d.container.Env[i]
		}
	}
	return nil
}

// secretEnv returns the Secret key a variable is read from, failing the
// test when it is not read from one.
func (d deployed) secretEnv(t *testing.T, field, name string) corev1.SecretKeySelector {
	t.Helper()
	e := d.env(name)
	if e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
		t.Errorf("%s: %s names %s, which the container does not read from a Secret", d.name, field, name)
		return corev1.SecretKeySelector{}
	}
	return *e.ValueFrom.SecretKeyRef
}

// mount returns the container's volume mount at path, and its volume
// (zero for a volumeClaimTemplate).
func (d deployed) mount(path string) (corev1.VolumeMount, corev1.Volume, bool) {
	for _, vm := range d.container.VolumeMounts {
		if vm.MountPath != path {
			continue
		}
		for _, v := range d.pod.Spec.Volumes {
			if v.Name == vm.Name {
				return vm, v, true
			}
		}
		return vm, corev1.Volume{}, true
	}
	return corev1.VolumeMount{}, corev1.Volume{}, false
}

// listenPort checks that a listen address's port is the container's port
// named name.
func (d deployed) listenPort(t *testing.T, field, addr, name string) {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	cp, ok := d.port(name)
	if err != nil || !ok || port != strconv.Itoa(int(cp.ContainerPort)) {
		t.Errorf("%s: %s is %q, want the container's port %q (%d)", d.name, field, addr, name, cp.ContainerPort)
	}
	if host, _, _ := net.SplitHostPort(addr); host != "0.0.0.0" && host != "" {
		t.Errorf("%s: %s is %q: in a pod, listen on every address (0.0.0.0) so the kubelet and the Services reach it", d.name, field, addr)
	}
}

// TestServerAndAgentConfigs: the configs in the ConfigMaps pass headroom's
// own validation, and fit the manifests around them: the ports they
// listen on are the containers', their stores are on the volumes meant
// for them, the agents push to every server through the headless Service
// with the token the servers check, take their name from the node, read
// logs from the read-only host mounts, and feed exactly the services the
// servers expect from agents.
func TestServerAndAgentConfigs(t *testing.T) {
	m := loadManifests(t)
	sets, dss := all[*appsv1.StatefulSet](m), all[*appsv1.DaemonSet](m)
	if len(sets) != 1 || len(dss) != 1 {
		t.Fatalf("want one StatefulSet (servers) and one DaemonSet (agents), got %d and %d", len(sets), len(dss))
	}
	sts := sets[0]
	var server, agent deployed
	for _, w := range workloads(m) {
		switch w.name {
		case "StatefulSet/" + sts.Name:
			server = deployedConfig(t, m, w)
		case "DaemonSet/" + dss[0].Name:
			agent = deployedConfig(t, m, w)
		}
	}

	// The servers.
	sc := server.config
	server.listenPort(t, "server.listen", sc.Server.Listen, "http")
	if sc.Server.Push == nil {
		t.Fatalf("%s: no server.push: the agents could not push", server.name)
	}
	serverToken := server.secretEnv(t, "server.push.token_env", sc.Server.Push.TokenEnv)
	if vm, v, ok := server.mount(sc.Storage.Dir); !ok || vm.ReadOnly || v.Name != "" || !slices.Contains(server.claims, vm.Name) {
		t.Errorf("%s: storage.dir %s is not a writable mount of a volumeClaimTemplate: the store would not outlive the pod", server.name, sc.Storage.Dir)
	}

	// The agents.
	ac := agent.config
	if ac.Agent.Name != "" {
		t.Errorf("%s: agent.name is %q: every node's agent would have the same name; leave it to HEADROOM_AGENT_NAME", agent.name, ac.Agent.Name)
	}
	if e := agent.env("HEADROOM_AGENT_NAME"); e == nil || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
		t.Errorf("%s: want HEADROOM_AGENT_NAME from the downward API's spec.nodeName: a pod's host name is the pod's, new at each rollout", agent.name)
	}
	agent.listenPort(t, "agent.listen", ac.Agent.Listen, "metrics")
	if vm, v, ok := agent.mount(ac.Storage.Dir); !ok || vm.ReadOnly || v.HostPath == nil || v.HostPath.Path != ac.Storage.Dir ||
		v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectoryOrCreate {
		t.Errorf("%s: storage.dir %s is not a writable hostPath (DirectoryOrCreate) at the same path: checkpoints and the spool would not outlive the pod", agent.name, ac.Storage.Dir)
	}
	for _, s := range ac.Services {
		for _, l := range s.Logs {
			if !underHostMount(agent, l.Path) {
				t.Errorf("%s: log %s is not under a read-only hostPath mounted at its node path", agent.name, l.Path)
			}
		}
	}

	// Pushes: to every server, by its name in the headless Service, on the
	// Service's port for the servers' listen port, with the servers' token.
	svc := named[*corev1.Service](m, sts.Spec.ServiceName)
	if svc == nil {
		t.Fatalf("no Service %s (the StatefulSet's serviceName)", sts.Spec.ServiceName)
	}
	var svcPort int32
	for _, p := range svc.Spec.Ports {
		if cp, ok := server.port(p.TargetPort.String()); ok && cp.Name == "http" {
			svcPort = p.Port
		}
	}
	replicas := int32(1)
	if sts.Spec.Replicas != nil {
		replicas = *sts.Spec.Replicas
	}
	var want, got []string
	for i := range replicas {
		want = append(want, fmt.Sprintf("http://%s-%d.%s:%d", sts.Name, i, svc.Name, svcPort))
	}
	for i, p := range ac.Agent.Push {
		u, err := url.Parse(p.URL)
		if err != nil || u.Path != "" && u.Path != "/" {
			t.Errorf("agent.push[%d].url %q: want a server's base URL", i, p.URL)
			continue
		}
		got = append(got, u.Scheme+"://"+u.Host)
		if tok := agent.secretEnv(t, fmt.Sprintf("agent.push[%d].token_env", i), p.TokenEnv); tok != serverToken {
			t.Errorf("agent.push[%d]: the token comes from %s/%s, but the servers check %s/%s", i, tok.Name, tok.Key, serverToken.Name, serverToken.Key)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the agents must push to each of the %d servers, by the headless Service's names (-want +got):\n%s", replicas, diff)
	}

	// Services: those the servers expect from agents (no logs, no rum)
	// are those the agents read logs for.
	var fromAgents, agents []string
	for _, s := range sc.Services {
		if len(s.Logs) == 0 && s.RUM == nil {
			fromAgents = append(fromAgents, s.Name)
		}
	}
	for _, s := range ac.Services {
		agents = append(agents, s.Name)
	}
	if diff := cmp.Diff(fromAgents, agents); diff != "" {
		t.Errorf("services the servers expect from agents vs those the agents feed (-servers +agents):\n%s", diff)
	}
}

// underHostMount reports whether path lies under a read-only hostPath
// mounted at its own node path (so the links in /var/log/containers,
// which point into /var/log/pods by absolute path, resolve).
func underHostMount(d deployed, path string) bool {
	for _, vm := range d.container.VolumeMounts {
		if !strings.HasPrefix(path, vm.MountPath+"/") || !vm.ReadOnly {
			continue
		}
		if _, v, ok := d.mount(vm.MountPath); ok && v.HostPath != nil && v.HostPath.Path == vm.MountPath {
			return true
		}
	}
	return false
}

// TestAgentLogGlobs: on a node laid out as the kubelet lays out container
// logs, the agents' globs find the ingress-nginx controller's current and
// rotated files, and no other container's.
func TestAgentLogGlobs(t *testing.T) {
	m := loadManifests(t)
	ds := all[*appsv1.DaemonSet](m)
	if len(ds) != 1 {
		t.Fatalf("want one DaemonSet, got %d", len(ds))
	}
	agent := deployedConfig(t, m, workloads(m)[slices.IndexFunc(workloads(m), func(w workload) bool {
		return w.name == "DaemonSet/"+ds[0].Name
	})])

	// /var/log/pods/NAMESPACE_POD_UID/CONTAINER/RESTARTS.log, rotated to
	// .log.TIMESTAMP and then compressed; /var/log/containers links to the
	// current file as POD_NAMESPACE_CONTAINER-ID.log.
	node := t.TempDir()
	const controller = "var/log/pods/ingress-nginx_ingress-nginx-controller-7d9c6b8f4-x2x4z_0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0/controller/"
	want := []string{controller + "0.log.20261119-140000.gz", controller + "0.log.20261119-150000", controller + "0.log"}
	others := []string{
		"var/log/pods/ingress-nginx_ingress-nginx-admission-create-9xk2p_1c2d3e4f-5061-7283-94a5-b6c7d8e9f0a1/create/0.log",
		"var/log/pods/kube-system_coredns-5d78c9869d-abcde_2d3e4f50-6172-8394-a5b6-c7d8e9f0a1b2/coredns/0.log",
		"var/log/pods/shop_ingress-nginx-controller-fake-11111_3e4f5061-7283-94a5-b6c7-d8e9f0a1b2c3/controller/0.log",
	}
	for i, f := range append(slices.Clone(want), others...) {
		p := filepath.Join(node, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// What the controller writes by default, as containerd wraps it.
		line := fmt.Sprintf("2026-11-19T15:00:%02d.000000000Z stdout F 192.0.2.1 - - [19/Nov/2026:15:00:%02d +0000] \"GET /%d HTTP/1.1\" 200 1 \"-\" \"-\" 83 0.004 [shop-api-80] [] 10.244.1.7:8080 1 0.004 200 7c1d4e2f9a3b5c6d7e8f9a0b1c2d3e4f\n", i, i, i)
		if err := os.WriteFile(p, []byte(line), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, time.Unix(int64(1_800_000_000+i), 0), time.Unix(int64(1_800_000_000+i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	links := filepath.Join(node, "var/log/containers")
	if err := os.MkdirAll(links, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(node, controller, "0.log"), filepath.Join(links, "ingress-nginx-controller-7d9c6b8f4-x2x4z_ingress-nginx_controller-0123abcd.log")); err != nil {
		t.Fatal(err)
	}

	var got []string
	for _, l := range agent.config.Logs() { // a log of several services once: it is read once
		files, outside, err := ingest.Glob{Pattern: filepath.Join(node, l.Path), Follow: l.Follow()}.ExpandAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(files, outside...) {
			rel, _ := filepath.Rel(node, f)
			got = append(got, rel)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files the agents' globs find on a node, oldest first (-want +got):\n%s", diff)
	}

	// The agents read the controller's lines with the format and wrapper
	// they are configured with: none malformed.
	srcs, err := ingest.NewSources(context.Background(), agent.config, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		for _, f := range want {
			pr, err := src.ProbeFile(filepath.Join(node, f))
			if err != nil || pr.Lines != 1 || len(pr.Malformed) != 0 {
				t.Errorf("%s read as %s's log: %+v, %v; want its line parsed", f, src.Label(), pr, err)
			}
		}
	}
}
