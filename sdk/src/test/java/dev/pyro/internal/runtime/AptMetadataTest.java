package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AptMetadataTest {
    @Test
    void madisonVersionsInAptOrderWithoutSourcesOrDuplicates() {
        String output = String.join("\n",
                "linux-source-6.1 |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages",
                "linux-source-6.1 |  6.1.192-1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages",
                "linux-source-6.1 |  6.1.176-1 | http://deb.debian.org/debian bookworm/main amd64 Packages",
                "linux-source-6.1 |  6.1.176-1 | http://mirror.example/debian bookworm/main amd64 Packages",
                "     linux |  6.1.176-1 | http://deb.debian.org/debian bookworm/main Sources",
                "");
        assertThat(AptMetadata.madisonVersions(output)).containsExactly("6.1.192-2", "6.1.192-1", "6.1.176-1");
        assertThat(AptMetadata.madisonVersions("")).isEmpty();
    }

    @Test
    void firstStanzaOfAptCacheShow() {
        String output = String.join("\n",
                "Package: linux-source-6.1",
                "Version: 6.1.192-2",
                "Filename: pool/updates/main/l/linux/linux-source-6.1_6.1.192-2_all.deb",
                "Size: 139331676",
                "SHA256: ae95fe63d4c553f8d0e6c86cb1ab566f3894a43743eb19ab585cd97d82f26514",
                "Description-en: Linux kernel source for version 6.1 with Debian patches",
                " This package provides source code for the Linux kernel version 6.1.",
                "",
                "Package: linux-source-6.1",
                "Version: 6.1.192-1",
                "SHA256: 0000000000000000000000000000000000000000000000000000000000000000",
                "");
        var fields = AptMetadata.firstStanza(output);
        assertThat(fields).containsEntry("Version", "6.1.192-2").containsEntry("Size", "139331676")
                .containsEntry("SHA256", "ae95fe63d4c553f8d0e6c86cb1ab566f3894a43743eb19ab585cd97d82f26514");
        assertThat(fields.get("Description-en")).contains("\nThis package provides");
    }
}
