#ifndef CCODECS_H
#define CCODECS_H
// C shim over libjpeg and libpng. libjpeg's default error manager calls exit(); the shim installs
// one that longjmps back and reports the message instead, which Swift cannot do by itself.
int ccodecs_version(void);
#endif
