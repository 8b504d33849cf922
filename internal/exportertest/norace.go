//go:build !race

package exportertest

const raceEnabled = false
