#!/usr/bin/env bash
# Provisions one Vagrant VM of the tskube cluster, in order (Kubernetes The Hard Way style),
# with the same scripts the netns lab uses. The checkout is synced at /vagrant.
# Usage: provision.sh <node-name> <node-ip> <master-ip>     (node-name "master" = control plane)
set -euo pipefail
NODE=${1:?node name}; IP=${2:?node ip}; MASTER_IP=${3:?master ip}
SRC=/vagrant
REGISTRY="$MASTER_IP:5000"
NODE_VERSION=v20.18.1
say() { echo "tskube[$NODE]: $*"; }

# 1. Debian packages (vagrant itself is not needed inside the VM).
TSKUBE_WITH_VAGRANT=0 "$SRC/scripts/install-deps.sh"

# 2. Node.js 20 (Debian 12 ships 18): the official tarball, once.
if ! node -v 2>/dev/null | grep -q '^v2[0-9]'; then
  say "installing Node.js $NODE_VERSION"
  curl -fsSL "https://nodejs.org/dist/$NODE_VERSION/node-$NODE_VERSION-linux-x64.tar.xz" | tar -xJ -C /usr/local --strip-components=1
fi

# 3. Kernel settings every node needs: forwarding, bridged traffic through iptables.
modprobe br_netfilter
cat >/etc/sysctl.d/90-tskube.conf <<SYSCTL
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
SYSCTL
echo br_netfilter >/etc/modules-load.d/tskube.conf
sysctl -q --system
# A dockerd in the root namespace sets FORWARD to DROP and eats pod traffic: keep it off
# (the dockershim node of a later issue turns it on deliberately).
systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true

# 4. Build tskube in the VM's rsync'd copy of the checkout (dist/ and node_modules/ are not synced).
if [ ! -f "$SRC/dist/bin/tskube.js" ] || [ -n "$(find "$SRC" -name '*.ts' -newer "$SRC/dist/bin/tskube.js" -not -path '*/node_modules/*' -print -quit)" ]; then
  say "building tskube"
  (cd "$SRC" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npx tsc -p tsconfig.json)
fi

# The cluster PKI, made on the host before `vagrant up` (the Vagrantfile's trigger runs
# `tskube pki init --dir .vagrant-pki`) and synced with the checkout. Without it: plain HTTP.
PKI=""
if [ -f "$SRC/.vagrant-pki/ca.crt" ]; then
  PKI=/etc/tskube/pki
  install -d -m 0700 "$PKI" && cp -a "$SRC/.vagrant-pki/." "$PKI/"
else
  say "WARNING: no .vagrant-pki in the checkout: the cluster runs WITHOUT TLS and authentication"
fi

# 5. containerd: system paths, the CRI settings of the lab, docker.io mirrored to the master.
"$SRC/scripts/node/containerd-config.sh" --out /etc/containerd/config.toml \
  --root /var/lib/containerd --state /run/containerd --socket /run/containerd/containerd.sock \
  --runc-root /run/containerd/runc --cni-conf-dir /etc/cni/net.d --certs-d /etc/containerd/certs.d \
  --registry "$REGISTRY" --restrict-oom-score-adj false
systemctl restart containerd

unit() { # unit <name> <ExecStart> [Environment…]
  local name=$1 exec=$2; shift 2
  { echo "[Unit]"; echo "Description=tskube $name"; echo "After=network-online.target containerd.service"
    echo "[Service]"; for e in "$@"; do echo "Environment=$e"; done
    echo "ExecStart=$exec"; echo "Restart=always"; echo "RestartSec=2"
    echo "[Install]"; echo "WantedBy=multi-user.target"; } >"/etc/systemd/system/tskube-$name.service"
  systemctl daemon-reload
  systemctl enable -q "tskube-$name"
  systemctl restart "tskube-$name"
}

# 6. Master only: the registry with the lab images, then the control plane.
if [ "$NODE" = master ]; then
  systemctl disable --now docker-registry.service >/dev/null 2>&1 || true # Debian's, with auth
  mkdir -p /var/lib/tskube/registry
  unit registry "/usr/bin/docker-registry serve $SRC/scripts/registry/config.yml" \
    "REGISTRY_HTTP_ADDR=$REGISTRY" "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/var/lib/tskube/registry"
  "$SRC/scripts/images/build.sh"
  for _ in $(seq 50); do curl -fs "http://$REGISTRY/v2/" >/dev/null && break; sleep 0.2; done
  "$SRC/scripts/images/push.sh" "$REGISTRY"
  SERVER="/usr/local/bin/node $SRC/dist/bin/tskube.js server --listen 0.0.0.0:6443 --data-dir /var/lib/tskube/server"
  if [ -n "$PKI" ]; then
    SERVER+=" --tls-cert-file $PKI/apiserver.crt --tls-private-key-file $PKI/apiserver.key --client-ca-file $PKI/ca.crt"
    SERVER+=" --service-account-signing-key-file $PKI/sa.key --service-account-key-file $PKI/sa.pub"
    SERVER+=" --authorization-mode Node,RBAC --anonymous-auth false --encryption-provider-config $PKI/encryption-config.yaml"
    SERVER+=" --audit-log-path /var/log/tskube-audit.log --kubelet-certificate-authority $PKI/ca.crt"
    SERVER+=" --kubelet-client-certificate $PKI/apiserver-kubelet-client.crt --kubelet-client-key $PKI/apiserver-kubelet-client.key"
  fi
  unit server "$SERVER"
fi

# 7. Every node: the agent (kubelet + kube-proxy); the master is tainted like kubeadm's.
# Small young generation, V8 lite mode and 2 malloc arenas: the agent's memory (docs/agent-memory.md).
AGENT="/usr/local/bin/node --max-semi-space-size=1 --lite-mode --expose-gc $SRC/dist/bin/tskube.js agent --node-name $NODE --node-ip $IP"
if [ -n "$PKI" ]; then
  AGENT+=" --kubeconfig $PKI/kubelet-$NODE.kubeconfig --proxy-kubeconfig $PKI/kube-proxy.kubeconfig"
  AGENT+=" --tls-cert-file $PKI/kubelet-$NODE.crt --tls-private-key-file $PKI/kubelet-$NODE.key --client-ca-file $PKI/ca.crt"
else
  AGENT+=" --server http://$MASTER_IP:6443"
fi
AGENT+=" --container-runtime-endpoint unix:///run/containerd/containerd.sock"
AGENT+=" --root-dir /var/lib/tskube/kubelet --cni-conf-dir /etc/cni/net.d --cgroup-root /tskube/$NODE"
if [ "$NODE" = master ]; then
  AGENT+=" --register-with-taints node-role.kubernetes.io/control-plane=:NoSchedule --node-labels node-role.kubernetes.io/control-plane="
fi
unit agent "$AGENT" MALLOC_ARENA_MAX=2 GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768:glibc.malloc.trim_threshold=65536
say "provisioned ($IP)"
