// Package trackeval holds no code, only tests: the tracker's accuracy and golden-output tests and its
// benchmark on real footage. They replay the PETS09-S2L1 dev clip (tools/footage), render the synthetic
// shop-floor scene (drivers/synth) and score tracks against ground truth (tools/moteval/mot), none of
// which the tracker's own package may depend on, even in its tests: the tracker is pure, frames in,
// tracks out. They use only the tracker's exported API (its AppendMask and DebugState diagnostics
// included).
//
// Commands (README, "Tracking accuracy"):
//
//	go test -run PETSDevGolden ./internal/trackeval        # the tracker's output, bit for bit
//	go test -run 'TestSynthScene$' -v ./internal/trackeval # add -args -synthdiag for where the misses are
//	go test -run '^$' -bench PETSDev -benchmem ./internal/trackeval
package trackeval
