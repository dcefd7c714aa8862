#!/usr/bin/env bash
# Summarises the execution samples of a JFR recording (deploy/bench/run.sh records one during the GET load):
#
#   profile.sh JFR-TOOL RECORDING [TOP]
#
# prints the samples per thread kind, the share of samples in which each part of the stack appears anywhere on the
# stack (inclusive: a sample counts for every part it passes through, so the shares add up to more than 100 %), the
# TOP (20) methods on top of the stack (self time), the TOP methods outside the JDK nearest to the top (each sample
# counted for its first frame that is not java.*, javax.*, jdk.*, sun.* or com.sun.*: which library or project method
# the JDK time is spent for), and the TOP Atrium methods nearest to the top (each sample counted for the first
# dev.atrium frame below the top: what Atrium's own code costs together with what it calls; on reactive callbacks
# there is often none). Only Java frames are sampled: time in the kernel (sockets) and in PostgreSQL does not show.
set -euo pipefail

JFR=${1:?usage: profile.sh JFR-TOOL RECORDING [TOP]}
RECORDING=${2:?usage: profile.sh JFR-TOOL RECORDING [TOP]}
TOP=${3:-20}

"$JFR" print --events jdk.ExecutionSample --stack-depth 96 "$RECORDING" | awk -v top="$TOP" '
function part(frame) {
    if (frame ~ /^(org\.jose4j|io\.smallrye\.jwt)\./) return "JWT parsing and verification (jose4j, SmallRye JWT)"
    if (frame ~ /^(sun\.security|java\.security|javax\.crypto|com\.sun\.crypto)\./) return "JDK crypto (signatures, digests)"
    if (frame ~ /^dev\.atrium\.common\.security\./) return "Atrium token handling (dev.atrium.common.security)"
    if (frame ~ /^io\.quarkus\.(security|vertx\.http\.runtime\.security)\./) return "Quarkus security"
    if (frame ~ /^com\.fasterxml\.jackson\./) return "Jackson"
    if (frame ~ /^io\.vertx\.(pgclient|sqlclient)\./) return "PostgreSQL client (Vert.x)"
    if (frame ~ /^org\.hibernate\./) return "Hibernate"
    if (frame ~ /^(org\.jboss\.resteasy\.reactive|io\.quarkus\.resteasy\.reactive)\./) return "RESTEasy Reactive"
    if (frame ~ /^io\.smallrye\.mutiny\./) return "Mutiny"
    if (frame ~ /^(io\.micrometer|io\.quarkus\.micrometer)\./) return "Micrometer"
    if (frame ~ /^(org\.jboss\.logmanager|org\.jboss\.logging)\./) return "logging"
    if (frame ~ /^io\.netty\./) return "Netty"
    if (frame ~ /^io\.vertx\./) return "Vert.x core and web"
    if (frame ~ /^(io\.quarkus\.arc|io\.quarkus\.runtime)\./) return "Quarkus ArC and runtime"
    if (frame ~ /^dev\.atrium\./) return "Atrium code (dev.atrium)"
    return ""
}
/^jdk\.ExecutionSample/ { n++; depth = 0; delete seen; thread = ""; mine = 0; lib = 0 }
/^  sampledThread = / {
    thread = $0
    sub(/^  sampledThread = "/, "", thread); sub(/".*$/, "", thread)
    gsub(/-?[0-9]+$/, "", thread); gsub(/[0-9]+/, "N", thread)
    threads[thread]++
}
/^    [^ ]/ && !/^    \.\.\./ {
    frame = $0
    sub(/^    /, "", frame); sub(/ line: [0-9]+.*$/, "", frame)
    if (depth == 0) self[frame]++
    if (!mine && frame ~ /^dev\.atrium\./) { own[frame]++; mine = 1 }
    if (!lib && frame !~ /^(java|javax|jdk|sun|com\.sun)\./) { near[frame]++; lib = 1 }
    depth++
    p = part(frame)
    if (p != "" && !(p in seen)) { seen[p] = 1; parts[p]++ }
}
END {
    if (n == 0) { print "no execution samples in the recording"; exit }
    printf "%d samples; by thread:", n
    for (t in threads) if (threads[t] * 100 >= n) printf " %s %d%%", t, threads[t] * 100 / n
    print ""
    print "share of samples with the part anywhere on the stack:"
    cmd = "sort -rn"
    for (p in parts) printf "  %5.1f%%  %s\n", parts[p] * 100 / n, p | cmd
    close(cmd)
    print "top of the stack (self):"
    cmd = "sort -rn | head -n " top
    for (f in self) printf "  %5.1f%%  %s\n", self[f] * 100 / n, f | cmd
    close(cmd)
    print "nearest frame outside the JDK (with the JDK methods it calls):"
    cmd = "sort -rn | head -n " top
    for (f in near) printf "  %5.1f%%  %s\n", near[f] * 100 / n, f | cmd
    close(cmd)
    print "nearest Atrium frame to the top (with what it calls):"
    cmd = "sort -rn | head -n " top
    for (f in own) printf "  %5.1f%%  %s\n", own[f] * 100 / n, f | cmd
    close(cmd)
}'
