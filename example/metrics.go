package main

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// appMetrics is the example's choice of metrics pipeline: ginsession
// records through the OpenTelemetry API; here the SDK aggregates and the
// Prometheus exporter serves the result at GET /metrics in the Prometheus
// text format. A registry of its own keeps two apps in one process (the
// tests) apart.
type appMetrics struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler
}

func newAppMetrics() (*appMetrics, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, err
	}
	return &appMetrics{
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)),
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}, nil
}

func (m *appMetrics) close() error { return m.provider.Shutdown(context.Background()) }
