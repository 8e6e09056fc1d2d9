# exec-helper: the last step of a namespace launch, between bubblewrap and the job, for what
# bubblewrap 0.8 cannot do itself: give the job an argv[0] other than the path it executes, and
# leave PWD out of an environment that had none (bubblewrap always sets it).
#
#   exec-helper FD DROP_PWD PATH ARGV0 [ARGS...]
#
# closes FD (the descriptor it was itself executed through, /proc/self/fd/FD), removes every
# PWD=... entry from the environment when DROP_PWD starts with '1', and execve(PATH, [ARGV0,
# ARGS...], environment). If execve fails it writes one line to stderr and exits 127. x86_64
# Linux, static, no libc. Build: as -o exec-helper.o exec-helper.S &&
# ld -static -nostdlib -s --build-id=none -z noseparate-code -o exec-helper exec-helper.o
        .intel_syntax noprefix
        .globl _start
        .text
_start:
        mov     rbx, rsp                # [rbx] argc, [rbx+8] argv[0], ..., NULL, envp..., NULL
        mov     r12, [rbx]              # argc (syscall clobbers rcx and r11)
        cmp     r12, 5
        jb      fail
        mov     rsi, [rbx+16]           # argv[1]: FD in decimal
        xor     edi, edi
1:      movzx   eax, byte ptr [rsi]
        test    al, al
        jz      2f
        sub     eax, '0'
        cmp     eax, 9
        ja      fail
        imul    edi, edi, 10
        add     edi, eax
        inc     rsi
        jmp     1b
2:      mov     eax, 3                  # close(FD)
        syscall
        lea     r8, [rbx+r12*8+16]      # envp
        mov     rsi, [rbx+24]           # argv[2]: DROP_PWD
        cmp     byte ptr [rsi], '1'
        jne     5f
        mov     r9, r8                  # compact envp in place, without PWD=...
3:      mov     rax, [r8]
        test    rax, rax
        jz      4f
        add     r8, 8
        cmp     dword ptr [rax], 0x3d445750     # "PWD=" (a shorter string ends in NUL first)
        je      3b
        mov     [r9], rax
        add     r9, 8
        jmp     3b
4:      mov     qword ptr [r9], 0
5:      mov     rdi, [rbx+32]           # argv[3]: PATH
        lea     rsi, [rbx+40]           # argv[4...]: ARGV0, ARGS
        lea     rdx, [rbx+r12*8+16]     # the environment
        mov     eax, 59                 # execve
        syscall
fail:   mov     edi, 2
        lea     rsi, [rip+message]
        mov     edx, message_end - message
        mov     eax, 1                  # write(2, ...)
        syscall
        mov     edi, 127
        mov     eax, 60                 # exit(127)
        syscall
message:
        .ascii  "exec-view: the exec helper cannot start the job (no such program, or not executable)\n"
message_end:
