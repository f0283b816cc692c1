#!/usr/bin/env bash
# Builds the lab's images without docker and without internet: pause (compiled here), busybox
# (Debian's busybox-static), nginx (Debian's nginx + the libraries ldd names) and curl, each as an
# OCI image layout under $TSKUBE_IMAGES (default /var/lib/tskube/images), rebuilt only when
# its inputs change. Usage: build.sh [name…]   (default: pause busybox nginx curl)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${TSKUBE_IMAGES:-/var/lib/tskube/images}"
ARCH=amd64
mkdir -p "$OUT"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# Blob helper: moves a file into <layout>/blobs/sha256/<digest>, prints the digest.
put_blob() {
  local layout=$1 file=$2 d
  d=$(sha "$file")
  mkdir -p "$layout/blobs/sha256"
  mv "$file" "$layout/blobs/sha256/$d"
  echo "$d"
}

# assemble <name> <rootfs dir> <config JSON fragment> <tag…>
# Writes one gzip layer, the image config, the manifest and index.json (one entry per tag).
assemble() {
  local name=$1 rootfs=$2 cfg=$3; shift 3
  local layout="$OUT/$name.new" tmp diff_id layer cfgd mand
  rm -rf "$layout"; mkdir -p "$layout"
  tmp=$(mktemp -d)
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$tmp/layer.tar" .
  diff_id=$(sha "$tmp/layer.tar")
  gzip -n -6 "$tmp/layer.tar"
  local layer_size; layer_size=$(size "$tmp/layer.tar.gz")
  layer=$(put_blob "$layout" "$tmp/layer.tar.gz")
  cat >"$tmp/config.json" <<JSON
{"architecture":"$ARCH","os":"linux","created":"1970-01-01T00:00:00Z","config":$cfg,"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"tskube scripts/images/build.sh $name"}]}
JSON
  local cfg_size; cfg_size=$(size "$tmp/config.json")
  cfgd=$(put_blob "$layout" "$tmp/config.json")
  cat >"$tmp/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$cfgd","size":$cfg_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer","size":$layer_size}]}
JSON
  local man_size; man_size=$(size "$tmp/manifest.json")
  mand=$(put_blob "$layout" "$tmp/manifest.json")
  local entries="" t
  for t in "$@"; do
    entries+="${entries:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$mand\",\"size\":$man_size,\"platform\":{\"architecture\":\"$ARCH\",\"os\":\"linux\"},\"annotations\":{\"org.opencontainers.image.ref.name\":\"$t\"}}"
  done
  echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  echo "{\"schemaVersion\":2,\"manifests\":[$entries]}" >"$layout/index.json"
  echo "sha256:$mand" >"$layout/.digest"
  echo "$*" >"$layout/.tags"
  rm -rf "$tmp"
}

# Minimal /etc shared by the images.
base_etc() {
  local r=$1
  mkdir -p "$r/etc" "$r/tmp" "$r/root" "$r/proc" "$r/sys" "$r/dev" "$r/run"
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n' >"$r/etc/group"
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
}

build_pause() {
  local r=$1
  mkdir -p "$r"
  gcc -static -Os -s -o "$r/pause" "$HERE/pause.c"
  assemble pause "$r" '{"Entrypoint":["/pause"],"WorkingDir":"/","Env":["PATH=/"]}' 3.9 latest
}

busybox_tree() {
  local r=$1 a
  base_etc "$r"
  mkdir -p "$r/bin" "$r/usr/bin" "$r/sbin" "$r/usr/sbin"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list-full); do
    [ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
  done
}

build_busybox() {
  busybox_tree "$1"
  assemble busybox "$1" '{"Cmd":["sh"],"WorkingDir":"/","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}' latest 1.36
}

# A busybox shell with Debian's curl (the libraries ldd names beside it): an HTTPS client for
# calling the API server from inside a pod with its service-account token.
build_curl() {
  local r=$1 lib
  busybox_tree "$r"
  rm -f "$r/usr/bin/curl"
  cp /usr/bin/curl "$r/usr/bin/curl"
  for lib in $(ldd /usr/bin/curl | grep -o '/[^ ]*'); do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done
  assemble curl "$r" '{"Cmd":["sh"],"WorkingDir":"/","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}' latest
}

# Debian's nginx under the tags `latest` and `1.14.2` (the tag the Kubernetes docs'
# Deployment example uses), so the docs' manifests run unmodified. It is nginx 1.22 inside.
build_nginx() {
  local r=$1 lib
  base_etc "$r"
  mkdir -p "$r/usr/sbin" "$r/etc/nginx" "$r/var/log/nginx" "$r/usr/share/nginx/html" \
    "$r/var/www" "$r/var/lib/nginx"/{body,fastcgi,proxy,scgi,uwsgi} "$r/var/lock"
  cp /usr/sbin/nginx "$r/usr/sbin/nginx"
  for lib in $(ldd /usr/sbin/nginx | grep -o '/[^ ]*'); do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done
  cp /etc/nginx/mime.types "$r/etc/nginx/mime.types"
  cp "$HERE/nginx/nginx.conf" "$r/etc/nginx/nginx.conf"
  cp "$HERE/nginx/index.html" "$r/usr/share/nginx/html/index.html"
  ln -sf /dev/stdout "$r/var/log/nginx/access.log"
  ln -sf /dev/stderr "$r/var/log/nginx/error.log"
  assemble nginx "$r" '{"Cmd":["nginx"],"WorkingDir":"/","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGQUIT"}' latest 1.14.2
}

# What each image is made of; a change in any of these rebuilds it.
inputs() {
  case $1 in
    pause) cat "$HERE/pause.c"; gcc --version | head -1 ;;
    busybox) dpkg-query -W busybox-static ;;
    curl) dpkg-query -W busybox-static curl libcurl4 libc6 ;;
    nginx) dpkg-query -W nginx nginx-common libc6 libssl3 libpcre2-8-0 zlib1g libcrypt1
           cat "$HERE/nginx/nginx.conf" "$HERE/nginx/index.html" ;;
  esac
  sed -n '/^assemble()/,/^}/p;/^base_etc()/,/^}/p;/^busybox_tree()/,/^}/p;/^build_'"$1"'()/,/^}/p' "$0"
}

names=("$@"); [ ${#names[@]} -gt 0 ] || names=(pause busybox nginx curl)
for n in "${names[@]}"; do
  want=$(inputs "$n" | sha256sum | cut -d' ' -f1)
  if [ -f "$OUT/$n/.inputs" ] && [ "$(cat "$OUT/$n/.inputs")" = "$want" ]; then
    continue
  fi
  root=$(mktemp -d)
  "build_$n" "$root"
  rm -rf "$root"
  echo "$want" >"$OUT/$n.new/.inputs"
  rm -rf "$OUT/$n"; mv "$OUT/$n.new" "$OUT/$n"
  echo "tskube: built image $n ($(cat "$OUT/$n/.tags"))"
done
