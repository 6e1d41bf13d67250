package runtime

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Defaults applied to an InstanceSpec and its probes where a field is zero.
const (
	// DefaultStartTimeout is how long readiness may take, Knative's
	// progress deadline.
	DefaultStartTimeout = 10 * time.Minute
	// DefaultGracePeriod is the time between SIGTERM and SIGKILL, the
	// Kubernetes terminationGracePeriodSeconds default.
	DefaultGracePeriod = 30 * time.Second
	// DefaultLogMaxBytes is the size at which a log file is rotated.
	DefaultLogMaxBytes = 10 << 20

	// DefaultProbeTimeout is a probe's timeout when it has a Period.
	DefaultProbeTimeout = time.Second
	// AggressiveProbeTimeout is the timeout of a probe without a Period,
	// as Knative's periodSeconds 0.
	AggressiveProbeTimeout = 100 * time.Millisecond
	// DefaultReadyPeriod is how often a readiness probe without a Period
	// runs once the instance has been ready.
	DefaultReadyPeriod = time.Second
	// DefaultLivenessPeriod is a liveness probe's period when it has none,
	// as Kubernetes' periodSeconds default.
	DefaultLivenessPeriod = 10 * time.Second
	// DefaultFailureThreshold is the number of failures in a row that make
	// a probe fail, as in Kubernetes.
	DefaultFailureThreshold = 3
)

// The start schedule of a readiness probe without a Period: the first try
// is made right after the exec, then the wait between tries is 1/32 of the
// time since the exec, within [startProbeMin, startProbeMax]. The delay
// this adds to a program's own start time is therefore at most about 3%
// (1.5% on average, and about 100 µs for programs that listen within 3 ms),
// while the number of tries grows only with the logarithm of the start
// time: about 30 for the first 3 ms, 120 for the first 50 ms, 220 for the
// first second, then 20 a second (Knative's 50 ms) until StartTimeout. A
// loopback TCP try costs about 10 µs of CPU (see connectLoopback). Exec
// probes fork a process per try, so their waits start at startProbeMinExec.
const (
	startProbeMin     = 100 * time.Microsecond
	startProbeMinExec = 10 * time.Millisecond
	startProbeMax     = 50 * time.Millisecond
	startProbeDivisor = 32
)

// startProbeWait returns how long a readiness probe without a Period waits
// before its next try, elapsed after the program was started.
func startProbeWait(elapsed time.Duration, h ProbeHandler) time.Duration {
	lo := startProbeMin
	if h == ProbeExec {
		lo = startProbeMinExec
	}
	return min(max(elapsed/startProbeDivisor, lo), startProbeMax)
}

// InstanceSpec says how to run one instance.
type InstanceSpec struct {
	// ID names the instance uniquely among the running ones; it is used as
	// a file name, so it must not contain a slash.
	ID string
	// Executable is the absolute path of the program.
	Executable string
	// Args follow the program name in argv.
	Args []string
	// Env is the whole environment of the program (KEY=VALUE); nothing of
	// skiff's own environment is inherited. The caller includes PORT,
	// K_SERVICE, K_CONFIGURATION, K_REVISION and the container's env.
	Env []string
	// WorkingDir is the program's working directory; empty means skiff's.
	WorkingDir string
	// Port is the loopback port the program must listen on; PORT=Port is
	// in Env.
	Port int
	// Readiness decides when the instance may take requests. The zero
	// value is a TCP connect to 127.0.0.1:Port, tried aggressively (see
	// startProbeWait) until the first success, then every
	// DefaultReadyPeriod.
	Readiness Probe
	// Liveness, when set, restarts the instance after FailureThreshold
	// failures in a row.
	Liveness *Probe
	// StartTimeout bounds the time from start to the first readiness
	// success; past it the instance is stopped and Failed. Zero means
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// GracePeriod is the time between SIGTERM and SIGKILL. Zero means
	// DefaultGracePeriod; a negative value means SIGKILL at once.
	GracePeriod time.Duration
	// LogFile receives the program's stdout and stderr, appended; empty
	// means the output is discarded (its last lines are still kept for
	// ExitInfo.LogTail).
	LogFile string
	// LogMaxBytes is the size past which LogFile is renamed to LogFile+".1"
	// and started anew. Zero means DefaultLogMaxBytes.
	LogMaxBytes int64
}

// ProbeHandler is the kind of check a Probe makes.
type ProbeHandler int

// Probe handlers, as Kubernetes' probe handlers.
const (
	// ProbeTCP succeeds when a TCP connection to Host:Port is accepted.
	ProbeTCP ProbeHandler = iota
	// ProbeHTTP succeeds when a GET answers with a status in 200-399.
	ProbeHTTP
	// ProbeExec succeeds when Command exits with code 0.
	ProbeExec
	// ProbeGRPC is the gRPC health checking protocol; the process runtime
	// does not support it.
	ProbeGRPC
)

func (h ProbeHandler) String() string {
	switch h {
	case ProbeTCP:
		return "tcp"
	case ProbeHTTP:
		return "http"
	case ProbeExec:
		return "exec"
	case ProbeGRPC:
		return "grpc"
	}
	return fmt.Sprintf("ProbeHandler(%d)", int(h))
}

// Probe is a readiness or liveness check, as a Kubernetes probe.
type Probe struct {
	Handler ProbeHandler
	// Path is the HTTP path (default "/").
	Path string
	// Host is the host to connect to (default 127.0.0.1); to send another
	// Host header, put it in Headers.
	Host string
	// Scheme is HTTP (default) or HTTPS; HTTPS certificates are not
	// verified, as the kubelet does not.
	Scheme string
	// Port defaults to the instance's Port.
	Port int
	// Headers are added to HTTP probe requests.
	Headers map[string]string
	// Command is run by Exec probes, in the instance's environment and
	// working directory.
	Command []string

	// InitialDelay is the wait after the start before the first try.
	InitialDelay time.Duration
	// Period is the time between tries. Zero means aggressive probing
	// while the instance starts (see startProbeWait), then
	// DefaultReadyPeriod for readiness and DefaultLivenessPeriod for
	// liveness.
	Period time.Duration
	// Timeout bounds one try: zero means AggressiveProbeTimeout without a
	// Period and DefaultProbeTimeout with one.
	Timeout time.Duration
	// SuccessThreshold is the number of successes in a row after failures
	// that make the probe pass (default 1).
	SuccessThreshold int
	// FailureThreshold is the number of failures in a row that make the
	// probe fail (default DefaultFailureThreshold).
	FailureThreshold int
}

// withDefaults returns p with its zero fields filled in; liveness picks
// the liveness period.
func (p Probe) withDefaults(port int, liveness bool) Probe {
	if p.Port == 0 {
		p.Port = port
	}
	if p.Host == "" {
		p.Host = "127.0.0.1"
	}
	if p.Path == "" {
		p.Path = "/"
	} else if !strings.HasPrefix(p.Path, "/") {
		p.Path = "/" + p.Path
	}
	if p.Scheme == "" {
		p.Scheme = "HTTP"
	}
	p.Scheme = strings.ToUpper(p.Scheme)
	if p.Timeout == 0 {
		if p.Period == 0 && !liveness {
			p.Timeout = AggressiveProbeTimeout
		} else {
			p.Timeout = DefaultProbeTimeout
		}
	}
	if p.Period == 0 && liveness {
		p.Period = DefaultLivenessPeriod
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = DefaultFailureThreshold
	}
	return p
}

func (p Probe) validate() error {
	switch p.Handler {
	case ProbeTCP, ProbeHTTP:
	case ProbeExec:
		if len(p.Command) == 0 {
			return errors.New("exec probe without a command")
		}
	case ProbeGRPC:
		return ErrProbeNotSupported
	default:
		return fmt.Errorf("unknown probe handler %d", int(p.Handler))
	}
	if p.Handler == ProbeHTTP && p.Scheme != "" && !strings.EqualFold(p.Scheme, "HTTP") && !strings.EqualFold(p.Scheme, "HTTPS") {
		return fmt.Errorf("scheme %q is neither HTTP nor HTTPS", p.Scheme)
	}
	if p.Port < 0 || p.Port > 65535 {
		return fmt.Errorf("port %d out of range", p.Port)
	}
	if p.InitialDelay < 0 || p.Period < 0 || p.Timeout < 0 {
		return errors.New("negative duration")
	}
	if p.SuccessThreshold < 0 || p.FailureThreshold < 0 {
		return errors.New("negative threshold")
	}
	return nil
}

// withDefaults returns a copy of s with its zero fields filled in and its
// slices and maps copied, so that the caller may reuse its own.
func (s InstanceSpec) withDefaults() InstanceSpec {
	s = s.clone()
	if s.StartTimeout == 0 {
		s.StartTimeout = DefaultStartTimeout
	}
	if s.GracePeriod == 0 {
		s.GracePeriod = DefaultGracePeriod
	}
	if s.LogMaxBytes == 0 {
		s.LogMaxBytes = DefaultLogMaxBytes
	}
	return s
}

// clone returns a deep copy of s.
func (s InstanceSpec) clone() InstanceSpec {
	s.Args = slices.Clone(s.Args)
	s.Env = slices.Clone(s.Env)
	if s.Env == nil {
		s.Env = []string{} // nil would make os/exec inherit skiff's environment
	}
	s.Readiness = cloneProbe(s.Readiness)
	if s.Liveness != nil {
		l := cloneProbe(*s.Liveness)
		s.Liveness = &l
	}
	return s
}

func cloneProbe(p Probe) Probe {
	if p.Headers != nil {
		h := make(map[string]string, len(p.Headers))
		for k, v := range p.Headers {
			h[k] = v
		}
		p.Headers = h
	}
	p.Command = slices.Clone(p.Command)
	return p
}

func (s InstanceSpec) validate() error {
	switch {
	case s.ID == "" || s.ID == "." || s.ID == ".." || strings.ContainsAny(s.ID, "/\x00") || len(s.ID) > 200:
		return fmt.Errorf("id %q is not a file name", s.ID)
	case !filepath.IsAbs(s.Executable):
		return fmt.Errorf("executable %q is not an absolute path", s.Executable)
	case s.Port <= 0 || s.Port > 65535:
		return fmt.Errorf("port %d out of range", s.Port)
	case s.StartTimeout < 0:
		return errors.New("negative start timeout")
	case s.LogMaxBytes < 0:
		return errors.New("negative log size")
	}
	if err := s.Readiness.validate(); err != nil {
		return fmt.Errorf("readiness probe: %w", err)
	}
	if s.Liveness != nil {
		if err := s.Liveness.validate(); err != nil {
			return fmt.Errorf("liveness probe: %w", err)
		}
	}
	return nil
}
