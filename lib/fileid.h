/* fileid: file identity, so that no tool writes over a file it reads. */
#ifndef SR_FILEID_H
#define SR_FILEID_H

int output_open(const char *opt, const char *path, char *const operands[], char *const more[]);
int same_as_stdout(int fd);

#endif
