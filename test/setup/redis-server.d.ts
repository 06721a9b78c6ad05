export declare const INSTALL_HINT: string;
export declare function findRedisServer(env?: NodeJS.ProcessEnv): string | undefined;
export declare function mustRun(env?: NodeJS.ProcessEnv): boolean;
export declare function needsRedis(testFile: string): boolean;
export declare function redisSuites(dir: string): string[];
