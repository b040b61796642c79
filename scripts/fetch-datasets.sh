#!/usr/bin/env bash
# Installs the full datasets into datasets/<name>/ (gitignored) and verifies them.
#
# Usage: scripts/fetch-datasets.sh [options] [dataset ...]
#   datasets: mnist fashion-mnist cifar-10 cifar-100 (default: all four)
#   --from DIR                  copy from a local folder laid out like datasets/ (DIR/mnist/*.gz,
#                               DIR/cifar-10/*.bin.gz or the official tarball, ...)
#   --fashion-mnist-from-debian install the Debian package dataset-fashion-mnist if needed and copy
#                               its files (this is also done automatically when
#                               /usr/share/datasets/fashion-mnist exists)
#   --dest DIR                  install into DIR instead of datasets/
#   --offline                   never download; fail for datasets with no local source
#
# Otherwise each dataset is downloaded (curl) from its official location. Every installed file
# is verified by the SHA-256 of its UNCOMPRESSED content (zcat f | sha256sum, or the member of
# the official tarball) against datasets/SHA256SUMS.uncompressed; CIFAR-100 has no reference
# digests here, so its files are only checked for presence and size.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
sums="$repo/datasets/SHA256SUMS.uncompressed"

from=""
dest="$repo/datasets"
debian=0
offline=0
wanted=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --from) from="$2"; shift 2 ;;
        --dest) dest="$2"; shift 2 ;;
        --fashion-mnist-from-debian) debian=1; shift ;;
        --offline) offline=1; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        mnist|fashion-mnist|cifar-10|cifar-100) wanted+=("$1"); shift ;;
        *) echo "fetch-datasets.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ ${#wanted[@]} -gt 0 ]] || wanted=(mnist fashion-mnist cifar-10 cifar-100)

idx_files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
cifar10_files=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin)
cifar100_files=(train.bin test.bin)
debian_fashion=/usr/share/datasets/fashion-mnist
failures=0

say() { printf '%-14s %s\n' "$1" "$2"; }

# expected_sha DATASET FILE -> reference digest or empty
expected_sha() { awk -v key="$1/$2" '$2 == key { print $1 }' "$sums"; }

# download URL... TARGET: tries each URL in turn
download() {
    local target="${*: -1}" url
    if [[ $offline -eq 1 ]]; then return 1; fi
    for url in "${@:1:$#-1}"; do
        if curl -fL --retry 2 --connect-timeout 20 -o "$target.part" "$url"; then
            mv "$target.part" "$target"
            echo "  downloaded $url"
            return 0
        fi
        echo "  could not download $url"
    done
    rm -f "$target.part"
    return 1
}

# verify DATASET FILE CONTENT-COMMAND...: hashes the uncompressed content printed by the command
verify() {
    local dataset="$1" file="$2"; shift 2
    local expected actual
    expected="$(expected_sha "$dataset" "$file")"
    actual="$("$@" | sha256sum | cut -d' ' -f1)"
    if [[ -z "$expected" ]]; then
        say "$dataset" "$file: sha256 $actual (no reference checksum)"
    elif [[ "$actual" == "$expected" ]]; then
        say "$dataset" "$file: sha256 ok"
    else
        say "$dataset" "$file: SHA-256 MISMATCH (expected $expected, found $actual)"
        failures=$((failures + 1))
    fi
}

# verify_folder DATASET FILES...: each file as FILE or FILE.gz in dest/DATASET
verify_folder() {
    local dataset="$1" file; shift
    for file in "$@"; do
        if [[ -f "$dest/$dataset/$file" ]]; then verify "$dataset" "$file" cat "$dest/$dataset/$file"
        elif [[ -f "$dest/$dataset/$file.gz" ]]; then verify "$dataset" "$file" zcat "$dest/$dataset/$file.gz"
        else say "$dataset" "$file: MISSING"; failures=$((failures + 1)); fi
    done
}

# copy_files DATASET SOURCE-FOLDER FILES...: copies FILE or FILE.gz; returns 1 if any is missing
copy_files() {
    local dataset="$1" source="$2" file; shift 2
    for file in "$@"; do
        [[ -f "$source/$file.gz" || -f "$source/$file" ]] || return 1
    done
    mkdir -p "$dest/$dataset"
    for file in "$@"; do
        if [[ -f "$source/$file.gz" ]]; then cp "$source/$file.gz" "$dest/$dataset/"; say "$dataset" "copied $source/$file.gz"
        else cp "$source/$file" "$dest/$dataset/"; say "$dataset" "copied $source/$file"; fi
    done
}

fetch_idx() {
    local dataset="$1"; shift
    local base_urls=("$@") file url_list b
    if [[ -n "$from" ]] && copy_files "$dataset" "$from/$dataset" "${idx_files[@]}"; then :
    elif [[ "$dataset" == fashion-mnist ]] && { [[ -d "$debian_fashion" ]] || [[ $debian -eq 1 ]]; }; then
        if [[ ! -d "$debian_fashion" ]]; then
            say "$dataset" "installing the Debian package dataset-fashion-mnist"
            apt-get install -y dataset-fashion-mnist >/dev/null
        fi
        copy_files "$dataset" "$debian_fashion" "${idx_files[@]}" || { say "$dataset" "Debian package files missing in $debian_fashion"; failures=$((failures + 1)); return; }
    else
        mkdir -p "$dest/$dataset"
        for file in "${idx_files[@]}"; do
            if [[ -f "$dest/$dataset/$file.gz" ]]; then say "$dataset" "$file.gz already present"; continue; fi
            url_list=()
            for b in "${base_urls[@]}"; do url_list+=("$b/$file.gz"); done
            download "${url_list[@]}" "$dest/$dataset/$file.gz" || { say "$dataset" "$file.gz: no local source and download failed"; failures=$((failures + 1)); }
        done
    fi
    verify_folder "$dataset" "${idx_files[@]}"
}

# fetch_cifar DATASET TARBALL FOLDER URL FILES...
fetch_cifar() {
    local dataset="$1" tarball="$2" folder="$3" url="$4" file; shift 4
    if [[ -n "$from" ]] && copy_files "$dataset" "$from/$dataset" "$@"; then
        [[ -f "$from/$dataset/batches.meta.txt" ]] && cp "$from/$dataset/batches.meta.txt" "$dest/$dataset/"
        verify_folder "$dataset" "$@"
        return
    fi
    mkdir -p "$dest/$dataset"
    if [[ -n "$from" && -f "$from/$dataset/$tarball" ]]; then
        cp "$from/$dataset/$tarball" "$dest/$dataset/"; say "$dataset" "copied $from/$dataset/$tarball"
    elif [[ -f "$dest/$dataset/$tarball" ]]; then
        say "$dataset" "$tarball already present"
    elif ! download "$url" "$dest/$dataset/$tarball"; then
        say "$dataset" "$tarball: no local source and download failed"; failures=$((failures + 1)); return
    fi
    for file in "$@"; do
        verify "$dataset" "$file" tar -xzOf "$dest/$dataset/$tarball" "$folder/$file"
    done
}

for dataset in "${wanted[@]}"; do
    case "$dataset" in
        mnist) fetch_idx mnist https://ossci-datasets.s3.amazonaws.com/mnist http://yann.lecun.com/exdb/mnist ;;
        fashion-mnist) fetch_idx fashion-mnist http://fashion-mnist.s3-website.eu-central-1.amazonaws.com ;;
        cifar-10) fetch_cifar cifar-10 cifar-10-binary.tar.gz cifar-10-batches-bin \
                      https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz "${cifar10_files[@]}" ;;
        cifar-100) fetch_cifar cifar-100 cifar-100-binary.tar.gz cifar-100-binary \
                       https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz "${cifar100_files[@]}" ;;
    esac
done

if [[ $failures -gt 0 ]]; then
    echo "fetch-datasets.sh: $failures problem(s); see above" >&2
    exit 1
fi
echo "fetch-datasets.sh: done; datasets are in $dest (check with: fsb datasets --data-root $dest --checksums)"
