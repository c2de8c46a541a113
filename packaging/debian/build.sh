#!/bin/sh
# Builds the Debian package from an install tree made with PREFIX=/usr
# (see make deb): build.sh ROOT VERSION ARCH OUT.deb
# Depends lists the packages of the libraries the binary links, as
# dpkg-shlibdeps finds them on this system, and of the X libraries GLFW
# opens at run time (dlopen), which dpkg-shlibdeps cannot see: without them
# the window loses cursor themes, monitor scales and input devices.
set -eu
root=$1 version=$2 arch=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)

# dpkg-shlibdeps wants to run in a source package: give it a minimal one.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/debian"
printf 'Source: modelfetch\n\nPackage: modelfetch\nArchitecture: any\n' > "$work/debian/control"
bin=$(cd "$root/usr/bin" && pwd)/modelfetch
depends=$(cd "$work" && dpkg-shlibdeps -O "$bin" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build.sh: dpkg-shlibdeps found no libraries in $bin" >&2; exit 1; }
for so in $(strings "$bin" | grep -E '^libX[A-Za-z0-9-]*\.so\.[0-9]+$' | sort -u); do
	pkg=$(dpkg -S "/usr/lib/*/$so" 2>/dev/null | head -1 | cut -d: -f1)
	[ -n "$pkg" ] || { echo "build.sh: $bin opens $so, which no installed package has; install it (apt-file search $so)" >&2; exit 1; }
	case ", $depends," in *", $pkg "* | *", $pkg,"*) ;; *) depends="$depends, $pkg" ;; esac
done

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" \
	-e "s|@DEPENDS@|$depends|" "$here/control.in" > "$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out"
dpkg-deb --info "$out" | sed -n '/Depends/p'
