"""``python -m benchmarks [--quick] [names...]``: time every registered case and print
one table (functorch_lite, NumPy and, when installed, PyTorch and JAX).

``names`` select benchmark modules (``eager_overhead``) or cases whose name contains
the text (``sum``); ``--quick`` uses fewer and shorter repeats.
"""
import argparse
import importlib
import sys

from benchmarks import harness

# Benchmark modules, imported in this order; each registers its cases.
MODULES = ("eager_overhead", "autodiff", "batching", "compiled_elementwise", "jit_cases",
           "llvm_kernels", "llvm_standalone", "control_flow")


def _load_modules():
    failures = []
    for name in MODULES:
        try:
            importlib.import_module(f"benchmarks.{name}")
        except Exception as e:  # one broken module must not hide the others
            failures.append(f"benchmarks.{name} failed to import: {type(e).__name__}: {e}")
    return failures


def select(cases, names):
    """Cases matching any of ``names`` (module name, or text in the case name)."""
    if not names:
        return cases
    chosen = [c for c in cases if any(n == c.group or n in c.name for n in names)]
    unmatched = [n for n in names if not any(n == c.group or n in c.name for c in cases)]
    if unmatched:
        known = sorted({c.group for c in cases} | {c.name for c in cases})
        raise SystemExit(f"no benchmark matches {unmatched}; known: {', '.join(known)}")
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("names", nargs="*", help="modules or case-name substrings")
    args = parser.parse_args(argv)
    import_failures = _load_modules()
    cases = select(harness.registered_cases(), args.names)
    repeats, min_time = (3, 0.01) if args.quick else (7, 0.1)
    print(harness.environment_line())
    print(f"median of {repeats} repeats of a calibrated loop (>= {min_time * 1e3:g} ms); "
          "ratio = time / NumPy time (lower is better)\n")
    results = {}
    for case in cases:
        results[case.name] = harness.run_case(case, repeats, min_time)
    if results:
        print(harness.format_table(harness.table_rows(results)))
    errors = import_failures + harness.full_errors(results)
    if errors:
        print("\nerrors:")
        for line in errors:
            print(f"  {line}")
    return 1 if import_failures else 0


if __name__ == "__main__":
    sys.exit(main())
