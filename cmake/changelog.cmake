# Writes a Debian changelog (native package) for the version built:
# cmake -DVERSION=... -DCOMMIT=... -DOUTPUT=... -P changelog.cmake
string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${OUTPUT} "lineup (${VERSION}) unstable; urgency=medium\n\n  * Built from ${COMMIT}.\n\n -- Lineup maintainers <maintainers@lineup.invalid>  ${date}\n")
