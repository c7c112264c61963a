#!/usr/bin/env bash
# GPU checks, for a machine with an NVIDIA GPU (not run in CI, not run by `python -m benchmarks`).
#   1. installs the gpu extra (CuPy) unless CuPy is already importable;
#   2. runs the CuPy backend tests (tests/test_backends.py -k cupy, and GD on CuPy arrays
#      against the NumPy fused step in tests/test_flow_gd_fused.py -k cupy);
#   3. times the GD step at m = 1e6, 1e7, 1e8 (d = 50, n = 20, k = 3, float64) and checks
#      run_flow(integrator="gd") on CuPy against NumPy to 1e-12: python -m benchmarks.gpu.
# Usage: bash benchmarks/gpu.sh [OUTDIR]   (JSON report written to OUTDIR/gpu.json, default $OUT or .)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-.}}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if ! python -c "import cupy" 2>/dev/null; then
    python -m pip install -q -e '.[gpu,test]'
fi
python -c "import cupy; n = cupy.cuda.runtime.getDeviceCount(); print('CUDA devices:', n); assert n >= 1"
nvidia-smi --query-gpu=name,memory.total --format=csv || true
python -m pytest -q -p no:cacheprovider tests/test_backends.py tests/test_flow_gd_fused.py -k cupy -rs \
    2>&1 | tee "$out/gpu-tests.txt"
timeout 540 python -m benchmarks.gpu --widths 1000000,10000000,100000000 --json "$out/gpu.json"
