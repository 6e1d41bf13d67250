// Package autoscaler decides how many instances each revision should run:
// Knative's Pod Autoscaler (KPA) and a process-level stand-in for the HPA
// class, with Knative's config-autoscaler keys, annotations and rules.
//
// The package holds no clocks and starts no goroutines. The instance pool
// records one Sample per revision and second into a Window; whoever owns
// the revision's State calls Decide with the current time and applies
// Decision.Desired. Decide is a pure function of (now, State, Window,
// RevisionConfig, ready): tests move time by passing time.Time values.
//
// The parts map onto Knative as follows:
//
//   - Config is config-autoscaler (ParseConfig, DefaultConfig);
//   - RevisionConfig is a revision's DeciderSpec plus its scale bounds,
//     resolved from autoscaling.knative.dev annotations (ResolveRevision);
//   - Window is the metric collector's stable and panic buckets;
//   - Decide is the decider's Scale together with the PodAutoscaler
//     reconciler's bounds and scale-to-zero handling, which in Knative live
//     in a different process and therefore read the clock themselves.
//
// Because both halves live here, the scale-to-zero milestones are exact
// instants derived from the samples rather than from when a reconcile
// happened to run; Decision.RequeueAt names the next one so that the caller
// can wake precisely then.
package autoscaler
