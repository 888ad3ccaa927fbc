/* version.h - the one place the release version is written. */
#ifndef BA_CORE_VERSION_H
#define BA_CORE_VERSION_H

#define BA_VERSION "0.1.0-dev"

#endif
