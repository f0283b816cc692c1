#!/usr/bin/env bash
# The main job: install what is needed, bring the lab up (master + 2 workers in network
# namespaces), apply the Kubernetes docs' nginx Deployment and a Service, and curl the
# Service IP from every node, showing which pod answered. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "tskube: the lab needs root (network namespaces, containerd, iptables): run sudo bash scripts/demo.sh" >&2
  exit 1
fi
command -v kubectl >/dev/null || { echo "tskube: kubectl not found: install kubectl (any 1.27–1.33) and re-run" >&2; exit 1; }
bash scripts/install-deps.sh
bash scripts/npm-install.sh
npm run -s build

node dist/bin/tskube.js lab up
export KUBECONFIG="$PWD/.lab/kubeconfig"

echo "== nodes"
for _ in $(seq 1 60); do
  [ "$(kubectl get nodes --no-headers 2>/dev/null | grep -c ' Ready ')" = 3 ] && break
  sleep 0.5
done
kubectl get nodes -o wide

echo "== kubectl apply -f scripts/demo/nginx.yaml"
kubectl apply -f scripts/demo/nginx.yaml
kubectl rollout status deployment/nginx-deployment --timeout=120s
kubectl get pods -o wide

ip=$(kubectl get svc nginx -o jsonpath='{.spec.clusterIP}')
for node in master worker-1 worker-2; do
  echo "== from $node: curl http://$ip/ (the X-Pod-Name header names the pod that answered)"
  for _ in 1 2 3 4 5 6; do
    node dist/bin/tskube.js lab exec "$node" -- curl -s -o /dev/null -D - --max-time 5 "http://$ip/" | grep -i '^x-pod-name' || echo "(no answer)"
  done
done

cat <<EOT

The lab is up. Try:
  export KUBECONFIG=$KUBECONFIG
  kubectl get pods -o wide -w            # in another terminal: kubectl scale deploy/nginx-deployment --replicas=4
  node dist/bin/tskube.js lab exec worker-1 -- curl -si http://$ip/
  node dist/bin/tskube.js lab down       # removes everything the lab made
EOT
