// The Helm chart's tests, a module of their own so that the Kubernetes and
// Prometheus Operator types stay out of the exporter's go.mod.
//
// Every module the tests compile is at the version helm v4.3.2 (the
// Makefile's HELM_VERSION) is built with, so that `make chart-test` takes
// k8s.io/api and the rest from the Go build cache that building helm filled.
// Hence the operator's types at v0.93.1, whose requirements are at or below
// helm's but for cbor, held at helm's version by the replace below; newer
// releases ask for a newer k8s.io/utils and kube-openapi. Check this again
// when HELM_VERSION changes.
module github.com/stripe-exporter/stripe_exporter/charts/test

go 1.26.0

require (
	github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring v0.93.1
	k8s.io/api v0.37.2
	k8s.io/apimachinery v0.37.2
	sigs.k8s.io/json v0.0.0-20250730193827-2d320260d730
	sigs.k8s.io/yaml v1.6.0
)

require (
	github.com/fxamacker/cbor/v2 v2.9.2 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.3-0.20250322232337-35a7c28c31ee // indirect
	github.com/x448/float16 v0.8.4 // indirect
	go.yaml.in/yaml/v2 v2.4.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	gopkg.in/inf.v0 v0.9.1 // indirect
	k8s.io/apiextensions-apiserver v0.37.2 // indirect
	k8s.io/klog/v2 v2.140.0 // indirect
	k8s.io/kube-openapi v0.0.0-20260721132016-d427ff9ee9ad // indirect
	k8s.io/utils v0.0.0-20260626114624-be93311217bd // indirect
	sigs.k8s.io/randfill v1.0.0 // indirect
	sigs.k8s.io/structured-merge-diff/v6 v6.4.2 // indirect
)

replace github.com/fxamacker/cbor/v2 => github.com/fxamacker/cbor/v2 v2.9.1
